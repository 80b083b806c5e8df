/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return --
   These tests inspect raw Kubernetes JSON (kubectl -o json, built manifests); typing every field would add nothing. */
// Helpers for the operator integration tests: the real API server of the test environment
// (KUBECONFIG from .testenv/env), kubectl, and the operator run in-process or as a child process.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { parseConfig } from '../config.js';
import type { OperatorConfig } from '../config.js';
import { startOperator } from '../controller/manager.js';
import type { OperatorDeps, RunningOperator } from '../controller/manager.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';

const run = promisify(execFile);
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** KAFKA_BROKERS of the test environment, or a clear error saying how to get it. */
export function requireKafkaBrokers(): string[] {
  const raw = process.env.KAFKA_BROKERS;
  if (!raw) {
    throw new Error(
      'KAFKA_BROKERS is not set: start the test environment (`npm run testenv:up`) and `source .testenv/env` ' +
        'before running this integration test',
    );
  }
  return raw.split(',');
}

export function requireKubeconfig(): string {
  const kubeconfig = process.env.KUBECONFIG;
  if (!kubeconfig) {
    throw new Error(
      'KUBECONFIG is not set: start the test environment (npm run testenv:up) and load it ' +
        '(set -a; source .testenv/env; set +a) before running the operator integration tests.',
    );
  }
  return kubeconfig;
}

export const kubectlBin = (): string => process.env.KUBECTL ?? 'kubectl';

export async function kubectl(args: string[], input?: string): Promise<string> {
  const child = run(kubectlBin(), args, {
    env: { ...process.env, KUBECONFIG: requireKubeconfig() },
    maxBuffer: 64 << 20,
  });
  if (input !== undefined) child.child.stdin?.end(input);
  const { stdout } = await child;
  return stdout;
}

export async function kubectlJson<T = any>(args: string[]): Promise<T> {
  return JSON.parse(await kubectl([...args, '-o', 'json'])) as T;
}

export async function installCrd(): Promise<void> {
  await kubectl(['apply', '--server-side', '--force-conflicts', '-f', `${repoRoot}crds/`]);
  await kubectl([
    'wait',
    '--for=condition=Established',
    'crd/chatbotdeployments.chatfleet.io',
    '--timeout=60s',
  ]);
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

export async function createNamespace(prefix: string, labels: Record<string, string> = {}): Promise<string> {
  const name = uniqueName(prefix);
  const ns = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'chatfleet.io/test': 'operator', ...labels } },
  };
  await kubectl(['apply', '-f', '-'], JSON.stringify(ns));
  return name;
}

export async function deleteNamespace(name: string): Promise<void> {
  await kubectl(['delete', 'namespace', name, '--ignore-not-found', '--wait=false']);
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `timed out waiting for ${what}${last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : ''}`,
  );
}

export function crManifest(namespace: string, name: string, spec: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'chatfleet.io/v1alpha1',
    kind: 'ChatbotDeployment',
    metadata: { name, namespace },
    spec: {
      runtime: {
        image: 'registry.local/chatfleet-bot:1.0',
        resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } },
      },
      model: { name: 'support-bot', version: 'v1' },
      ...spec,
    },
  });
}

export async function applyCr(
  namespace: string,
  name: string,
  spec: Record<string, unknown> = {},
): Promise<void> {
  await kubectl(['apply', '-f', '-'], crManifest(namespace, name, spec));
}

export async function getCr(namespace: string, name: string): Promise<any> {
  return kubectlJson(['-n', namespace, 'get', 'chatbotdeployment', name]);
}

export function condition(cr: any, type: string): any {
  return (cr?.status?.conditions ?? []).find((c: any) => c.type === type);
}

/** Ready=True at the current generation (what `kubectl wait --for=condition=Ready` checks, and more). */
export async function waitReady(namespace: string, name: string, timeoutMs = 90_000): Promise<any> {
  return waitFor(
    `${namespace}/${name} Ready`,
    async () => {
      const cr = await getCr(namespace, name);
      const ready = condition(cr, 'Ready');
      const fresh =
        cr.status?.observedGeneration === cr.metadata.generation &&
        ready?.observedGeneration === cr.metadata.generation;
      return ready?.status === 'True' && fresh ? cr : undefined;
    },
    timeoutMs,
  );
}

export function operatorConfig(namespace: string, overrides: Record<string, string> = {}): OperatorConfig {
  const flags = Object.entries({
    'watch-namespace': namespace,
    'lease-namespace': namespace,
    'health-port': '0',
    'health-host': '127.0.0.1',
    'resync-seconds': '600',
    ...overrides,
  }).map(([k, v]) => `--${k}=${v}`);
  return parseConfig(flags, {});
}

export interface InProcessOperator {
  op: RunningOperator;
  registry: Registry;
  stop(): Promise<void>;
}

/** Runs the operator in this process, scoped to one namespace (its own Lease there too). */
export async function startInProcess(
  namespace: string,
  overrides: Record<string, string> = {},
  components: OperatorDeps['components'] = [],
): Promise<InProcessOperator> {
  requireKubeconfig();
  const { kc } = loadKubeConfig(process.env);
  const registry = new Registry();
  const log = pino({ level: process.env.TEST_OPERATOR_LOG ?? 'silent' });
  const op = await startOperator({
    config: operatorConfig(namespace, overrides),
    kc,
    log,
    registry,
    components,
  });
  return { op, registry, stop: () => op.stop() };
}

export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const { values } = await m.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
    .reduce((sum, v) => sum + v.value, 0);
}

/** Writes that reconciling issued (everything but Lease renewals and Events). */
export async function reconcileWrites(registry: Registry): Promise<number> {
  const m = registry.getSingleMetric('chatfleet_operator_kube_writes_total');
  if (!m) return 0;
  const { values } = await m.get();
  return values
    .filter((v) => v.labels.kind !== 'Lease' && v.labels.kind !== 'Event')
    .reduce((s, v) => s + v.value, 0);
}

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
