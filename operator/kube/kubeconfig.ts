import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ClusterUnreachableError, errorMessage } from './errors.js';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Where the configuration came from, for the startup log line. */
export type KubeConfigSource = 'KUBECONFIG' | '~/.kube/config' | 'in-cluster';

/**
 * Loads KUBECONFIG, then ~/.kube/config, then the in-cluster service account. Unlike
 * KubeConfig.loadFromDefault this never falls back to http://localhost:8080: with nothing to
 * load it throws, naming what it tried.
 */
export function loadKubeConfig(
  env: { KUBECONFIG?: string; KUBERNETES_SERVICE_HOST?: string; HOME?: string },
  files: { exists(path: string): boolean } = { exists: existsSync },
): { kc: KubeConfig; source: KubeConfigSource } {
  const kc = new KubeConfig();
  const tried: string[] = [];
  try {
    if (env.KUBECONFIG) {
      // Not kc.loadFromDefault(): it reads process.env and ends at http://localhost:8080.
      const [first, ...rest] = env.KUBECONFIG.split(delimiter).filter(Boolean);
      kc.loadFromFile(first ?? '');
      for (const path of rest) {
        const other = new KubeConfig();
        other.loadFromFile(path);
        kc.mergeConfig(other);
      }
      return { kc: requireCluster(kc, `KUBECONFIG (${env.KUBECONFIG})`), source: 'KUBECONFIG' };
    }
    const home = join(env.HOME ?? homedir(), '.kube', 'config');
    tried.push(home);
    if (files.exists(home)) {
      kc.loadFromFile(home);
      return { kc: requireCluster(kc, home), source: '~/.kube/config' };
    }
    tried.push(SERVICE_ACCOUNT_TOKEN);
    if (env.KUBERNETES_SERVICE_HOST && files.exists(SERVICE_ACCOUNT_TOKEN)) {
      kc.loadFromCluster();
      return { kc: requireCluster(kc, 'in-cluster config'), source: 'in-cluster' };
    }
  } catch (err) {
    if (err instanceof ClusterUnreachableError) throw err;
    throw new ClusterUnreachableError(`cannot load the Kubernetes configuration: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  throw new ClusterUnreachableError(
    `no Kubernetes configuration found: KUBECONFIG is unset, ${tried.join(' and ')} do not exist. ` +
      'Set KUBECONFIG (for the test environment: source .testenv/env) or run inside a cluster.',
  );
}

function requireCluster(kc: KubeConfig, from: string): KubeConfig {
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) {
    throw new ClusterUnreachableError(`${from} has no current context with a cluster server URL`);
  }
  return kc;
}
