/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return --
   These tests inspect raw Kubernetes JSON (kubectl -o json, built manifests); typing every field would add nothing. */
// Helpers for the operator integration tests: the real API server of the test environment
// (KUBECONFIG from .testenv/env), kubectl, namespaces and CRs. The operator run in-process is in
// ./in-process.ts, as a child process in ./child-operator.ts; this file re-exports both, so tests
// (here and in other folders' integration/) import from support.js only.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** `process.env[name]`, or an error saying that it is not set and how to get it (`hint`). */
export function requireEnv(name: string, hint: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: ${hint}`);
  return value;
}

const LOAD_TESTENV =
  'start the test environment (npm run testenv:up) and load it (set -a; source .testenv/env; set +a) ' +
  'before running the operator integration tests';

/** KAFKA_BROKERS of the test environment, as a list. */
export function requireKafkaBrokers(): string[] {
  return requireEnv('KAFKA_BROKERS', LOAD_TESTENV).split(',');
}

export function requireKubeconfig(): string {
  return requireEnv('KUBECONFIG', LOAD_TESTENV);
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

export function condition(cbd: any, type: string): any {
  return (cbd?.status?.conditions ?? []).find((c: any) => c.type === type);
}

/** Ready=True at the current generation (what `kubectl wait --for=condition=Ready` checks, and more). */
export async function waitReady(namespace: string, name: string, timeoutMs = 90_000): Promise<any> {
  return waitFor(
    `${namespace}/${name} Ready`,
    async () => {
      const cbd = await getCr(namespace, name);
      const ready = condition(cbd, 'Ready');
      const fresh =
        cbd.status?.observedGeneration === cbd.metadata.generation &&
        ready?.observedGeneration === cbd.metadata.generation;
      return ready?.status === 'True' && fresh ? cbd : undefined;
    },
    timeoutMs,
  );
}

export * from './in-process.js';
export * from './child-operator.js';
