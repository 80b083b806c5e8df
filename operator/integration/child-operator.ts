/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access --
   The Lease is raw Kubernetes JSON (kubectl -o json). */
// The operator run as a child process (`tsx operator/main.ts`, what `npm start` runs) for the tests that
// kill it or run several (failover, split brain), and the Prometheus text its /metrics serves.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { kubectlJson, repoRoot, requireKubeconfig, waitFor } from './support.js';

/** Short lease timings keep the failover tests quick: lease 4 s, renew deadline 3 s, retry 1 s. */
export const SHORT_LEASE = {
  'lease-duration-seconds': '4',
  'renew-deadline-seconds': '3',
  'retry-period-seconds': '1',
};
export const SHORT_LEASE_MS = 4000;
export const SHORT_RETRY_MS = 1000;

/** Parses Prometheus text exposition into {name{labels}: value}. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

export function sumMetric(metrics: Map<string, number>, prefix: string, exclude: RegExp = /$^/): number {
  let sum = 0;
  for (const [k, v] of metrics) if (k.startsWith(prefix) && !exclude.test(k)) sum += v;
  return sum;
}

export interface ChildOperator {
  proc: ChildProcess;
  identity: string;
  port: number;
  logs: string[];
  metrics(): Promise<Map<string, number>>;
  exited: Promise<number | null>;
}

let nextPort = 19_400 + Math.floor(Math.random() * 500);

/**
 * Runs `tsx operator/main.ts` as a child process (Node 24 from node_modules), like `npm start`.
 * `env` adds to (or overrides, e.g. KUBECONFIG for a process with its own identity) the environment.
 */
export async function startChild(
  namespace: string,
  identity: string,
  flags: Record<string, string> = {},
  env: Record<string, string> = {},
): Promise<ChildOperator> {
  const port = nextPort++;
  const args = Object.entries({
    'watch-namespace': namespace,
    'lease-namespace': namespace,
    'health-port': String(port),
    'health-host': '127.0.0.1',
    identity,
    ...flags,
  }).map(([k, v]) => `--${k}=${v}`);
  const node = `${repoRoot}node_modules/.bin/node`;
  // One process (node with tsx's loader), not the tsx CLI, which would fork a child that SIGKILL misses.
  const proc = spawn(node, ['--import', 'tsx', `${repoRoot}operator/main.ts`, ...args], {
    cwd: repoRoot,
    env: { ...process.env, KUBECONFIG: requireKubeconfig(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  proc.stdout?.on('data', (b: Buffer) => logs.push(...b.toString().split('\n').filter(Boolean)));
  proc.stderr?.on('data', (b: Buffer) => logs.push(...b.toString().split('\n').filter(Boolean)));
  const exited = once(proc, 'exit').then(([code]) => code as number | null);
  const metrics = async (): Promise<Map<string, number>> =>
    parseMetrics(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  await waitFor(
    `operator ${identity} serving /healthz`,
    async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok,
    60_000,
  );
  return { proc, identity, port, logs, metrics, exited };
}

export async function stopChild(
  c: ChildOperator,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<number | null> {
  if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill(signal);
  return c.exited;
}

export async function leaseHolder(namespace: string, name = 'chatfleet-operator'): Promise<any> {
  try {
    return (await kubectlJson(['-n', namespace, 'get', 'lease', name])).spec;
  } catch {
    return undefined;
  }
}
