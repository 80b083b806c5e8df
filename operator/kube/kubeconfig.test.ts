import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadKubeConfig } from './kubeconfig.js';
import { ClusterUnreachableError } from './errors.js';

const kubeconfig = (server: string): string => `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "${server}"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`;

function file(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kc-'));
  const path = join(dir, 'config');
  writeFileSync(path, content);
  return path;
}

describe('loadKubeConfig', () => {
  it('loads KUBECONFIG first', () => {
    const path = file(kubeconfig('https://10.0.0.1:6443'));
    const { kc, source } = loadKubeConfig({ KUBECONFIG: path, HOME: '/nonexistent' });
    expect(source).toBe('KUBECONFIG');
    expect(kc.getCurrentCluster()?.server).toBe('https://10.0.0.1:6443');
  });

  it('falls back to ~/.kube/config', () => {
    const homeDir = mkdtempSync(join(tmpdir(), 'home-'));
    mkdirSync(join(homeDir, '.kube'));
    writeFileSync(join(homeDir, '.kube', 'config'), kubeconfig('https://10.0.0.2:6443'));
    const { kc, source } = loadKubeConfig({ HOME: homeDir });
    expect(source).toBe('~/.kube/config');
    expect(kc.getCurrentCluster()?.server).toBe('https://10.0.0.2:6443');
  });

  it('never falls back to localhost:8080: no configuration is an error naming what was tried', () => {
    const load = (): unknown => loadKubeConfig({ HOME: '/nonexistent' }, { exists: () => false });
    expect(load).toThrow(ClusterUnreachableError);
    expect(load).toThrow(
      /no Kubernetes configuration found: KUBECONFIG is unset, \/nonexistent\/.kube\/config/,
    );
  });

  it('uses the in-cluster service account only inside a cluster', () => {
    expect(() => loadKubeConfig({ HOME: '/nonexistent' }, { exists: (p) => p.endsWith('/token') })).toThrow(
      ClusterUnreachableError,
    );
  });

  it('reports an unreadable KUBECONFIG clearly', () => {
    expect(() => loadKubeConfig({ KUBECONFIG: '/nonexistent/kubeconfig' })).toThrow(
      /cannot load the Kubernetes configuration/,
    );
  });

  it('rejects a configuration without a current cluster', () => {
    const path = file('apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
    expect(() => loadKubeConfig({ KUBECONFIG: path })).toThrow(
      /no current context with a cluster server URL/,
    );
  });
});
