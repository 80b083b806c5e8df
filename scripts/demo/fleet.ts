/**
 * Finds a fleet to talk to for the demo commands (`npm run chat`, `npm run load`): its Service's
 * ClusterIP, which the host reaches through the real node's kube-proxy, and its status. Uses
 * KUBECONFIG, else the test environment's admin kubeconfig (.testenv/kubeconfig).
 */
import * as k8s from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadKubeConfig } from '../../operator/kube/kubeconfig.js';

export const DEFAULT_FLEET = 'demo';
export const DEFAULT_NAMESPACE = 'chatfleet-dev';
const TESTENV_KUBECONFIG = fileURLToPath(new URL('../../.testenv/kubeconfig', import.meta.url));

export interface FleetTarget {
  namespace: string;
  name: string;
  /** http://<ClusterIP>:80 */
  baseUrl: string;
}

export interface FleetReplicas {
  desired: number;
  ready: number;
  /** stable, panic or fallback */
  mode: string;
  reason: string;
}

export class DemoError extends Error {
  override readonly name = 'DemoError';
}

function kubeConfig(): k8s.KubeConfig {
  const env = { ...process.env };
  if (!env.KUBECONFIG && existsSync(TESTENV_KUBECONFIG)) env.KUBECONFIG = TESTENV_KUBECONFIG;
  return loadKubeConfig(env).kc;
}

export class Fleet {
  private readonly kc = kubeConfig();
  private readonly core = this.kc.makeApiClient(k8s.CoreV1Api);
  private readonly custom = this.kc.makeApiClient(k8s.CustomObjectsApi);

  constructor(
    readonly namespace: string,
    readonly name: string,
  ) {}

  /** The fleet's Service address; fails with what to do when there is none. */
  async target(): Promise<FleetTarget> {
    const svc = await this.core
      .readNamespacedService({ name: this.name, namespace: this.namespace })
      .catch((err: unknown) => {
        throw new DemoError(
          `no Service ${this.namespace}/${this.name} (${err instanceof Error ? err.message.split('\n')[0] : String(err)}). ` +
            'Is `npm run dev` running? Name another fleet with --fleet NAME --namespace NS.',
        );
      });
    const ip = svc.spec?.clusterIP;
    if (!ip || ip === 'None') throw new DemoError(`Service ${this.namespace}/${this.name} has no ClusterIP`);
    return { namespace: this.namespace, name: this.name, baseUrl: `http://${ip}:80` };
  }

  /** The autoscaler's desired replicas, the ready ones, its mode and its last reason. */
  async replicas(): Promise<FleetReplicas> {
    const cr = (await this.custom.getNamespacedCustomObject({
      group: 'chatfleet.io',
      version: 'v1alpha1',
      namespace: this.namespace,
      plural: 'chatbotdeployments',
      name: this.name,
    })) as {
      status?: {
        replicas?: number;
        readyReplicas?: number;
        autoscaling?: { desiredReplicas?: number; mode?: string; reason?: string };
      };
    };
    const a = cr.status?.autoscaling;
    return {
      desired: a?.desiredReplicas ?? cr.status?.replicas ?? 0,
      ready: cr.status?.readyReplicas ?? 0,
      mode: a?.mode ?? '',
      reason: a?.reason ?? '',
    };
  }
}

/** `--name value` / `--name=value` flags and positional words, for the small demo CLIs. */
export function parseArgs(argv: string[]): { flags: Map<string, string>; words: string[] } {
  const flags = new Map<string, string>();
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (!a.startsWith('--')) {
      words.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
    else flags.set(a.slice(2), argv[++i] ?? '');
  }
  return { flags, words };
}

/** A bounded number flag: rejects what is not a number in [min, max] with a message naming the flag. */
export function numberFlag(
  flags: Map<string, string>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = flags.get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new DemoError(`--${name} must be a number from ${min} to ${max}, got "${raw}"`);
  return n;
}
