import { spawnSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './support.js';

// `npm start` without a reachable cluster must fail fast and say why (never try localhost:8080).
function start(env: Record<string, string>): { status: number | null; stderr: string } {
  const r = spawnSync(
    `${repoRoot}node_modules/.bin/node`,
    ['--import', 'tsx', `${repoRoot}operator/main.ts`, '--health-port=0'],
    {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  return { status: r.status, stderr: r.stderr };
}

describe('operator startup without a cluster', () => {
  it('fails with a clear message when no configuration exists', () => {
    const r = start({ HOME: mkdtempSync(join(tmpdir(), 'nohome-')) });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no Kubernetes configuration found: KUBECONFIG is unset/);
    expect(r.stderr).not.toMatch(/localhost:8080/);
  });

  it('fails with a clear message when the API server does not answer', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-'));
    const path = join(dir, 'config');
    writeFileSync(
      path,
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\n' +
        'users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
    );
    const r = start({ KUBECONFIG: path, HOME: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /cannot reach the Kubernetes API server at https:\/\/127.0.0.1:1\/: .*ECONNREFUSED/,
    );
  });
});
