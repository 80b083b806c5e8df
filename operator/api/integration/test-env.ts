// Test-environment access for the API integration tests. Missing variables fail the run
// with instructions rather than skipping: an integration test that did not run must not pass.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { ApiextensionsV1Api, KubeConfig } from '@kubernetes/client-node';
import { CRD_NAME } from '../index.js';

const run = promisify(execFile);

export interface TestEnv {
  kubeconfig: string;
  kubectl: string;
  helm: string | undefined;
}

export function requireTestEnv(): TestEnv {
  const kubeconfig = process.env.KUBECONFIG;
  if (!kubeconfig) {
    throw new Error(
      'KUBECONFIG is not set. Start the test environment (npm run testenv:up) and run the tests with ' +
        '`source .testenv/env` first; these tests need the real kube-apiserver.',
    );
  }
  return { kubeconfig, kubectl: process.env.KUBECTL ?? 'kubectl', helm: process.env.HELM };
}

export function kubeConfig(env: TestEnv): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(env.kubeconfig);
  return kc;
}

/** Runs a CLI (kubectl, helm) against the test cluster; rejects with stderr on a non-zero exit. */
export async function cli(
  env: TestEnv,
  bin: string,
  args: string[],
  input?: string,
): Promise<{ stdout: string; stderr: string }> {
  const child = run(bin, args, { env: { ...process.env, KUBECONFIG: env.kubeconfig }, maxBuffer: 16 << 20 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  return child;
}

/** `kubectl auth can-i --as=<user> ...` on the test cluster: true for "yes", false for "no" (exit 1). */
export async function canI(env: TestEnv, user: string, args: string[]): Promise<boolean> {
  try {
    return (await cli(env, env.kubectl, ['auth', 'can-i', `--as=${user}`, ...args])).stdout.trim() === 'yes';
  } catch {
    return false;
  }
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err: unknown) {
      last = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}`, { cause: last });
}

export const CRD_FILE = fileURLToPath(
  new URL('../../../crds/chatfleet.io_chatbotdeployments.yaml', import.meta.url),
);

/**
 * Installs crds/ with kubectl server-side apply and waits for Established. Not through
 * KubernetesObjectApi: its typed serializer expects camelCase JSONSchemaProps keys and silently
 * drops x-kubernetes-* extensions (validations, int-or-string, list types) from a plain CRD object.
 */
export async function installCrd(env: TestEnv, kc: KubeConfig): Promise<void> {
  await cli(env, env.kubectl, [
    'apply',
    '--server-side',
    '--force-conflicts',
    '--field-manager=chatfleet-api-tests',
    '-f',
    CRD_FILE,
  ]);
  const crds = kc.makeApiClient(ApiextensionsV1Api);
  await waitFor('the ChatbotDeployment CRD to be Established', async () => {
    const crd = await crds.readCustomResourceDefinition({ name: CRD_NAME });
    const established = crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    return established ? true : undefined;
  });
}

/** A unique, DNS-safe suffix so repeated runs against the same cluster never collide. */
export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** The API server's message from a failed client-node call (Status.message), or the error text. */
export function apiErrorMessage(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'body' in err) {
    const body = err.body;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    try {
      const status = JSON.parse(text) as { message?: string };
      return status.message ?? text;
    } catch {
      return text;
    }
  }
  return err instanceof Error ? err.message : String(err);
}
