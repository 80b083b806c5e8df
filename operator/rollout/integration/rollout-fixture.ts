/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return --
   These tests inspect raw Kubernetes JSON (kubectl -o json); typing every field would add nothing. */
// Shared setup and helpers of the rollout integration tests (rollout.test.ts, rollout-controls.test.ts). The
// exported bindings are live: setupRollout assigns ns and operator.
import {
  applyCr,
  createNamespace,
  deleteNamespace,
  getCr,
  installCrd,
  kubectl,
  kubectlJson,
  waitFor,
  waitReady,
} from '../../integration/support.js';
import { FakePods, startRolloutOperator } from './support.js';
import type { RolloutOperator } from './support.js';

export const FAST = {
  scaling: { minReplicas: 2, maxReplicas: 4 },
  rollout: {
    steps: [{ setWeight: 10 }, { analysis: {} }, { setWeight: 50 }],
    analysis: { intervalSeconds: 5, minTurns: 50 },
    progressDeadlineSeconds: 120,
  },
};
export const model = (version: string, bundleConfigMap?: string): Record<string, unknown> => ({
  model: { name: 'support-bot', version, ...(bundleConfigMap ? { bundleConfigMap } : {}) },
});

export let ns: string;
export let operator: RolloutOperator;
export const pods = new FakePods();

/** Call in beforeAll: the CRD, a namespace, the fake pods and the operator with the rollout component. */
export async function setupRollout(prefix: string): Promise<void> {
  await installCrd();
  ns = await createNamespace(prefix);
  await pods.start();
  operator = await startRolloutOperator(ns, pods);
}

export async function teardownRollout(): Promise<void> {
  await operator?.stop();
  await pods.stop();
  if (ns) await deleteNamespace(ns);
}

export const rolloutOf = async (name: string): Promise<any> => (await getCr(ns, name)).status?.rollout;
export const deployment = async (name: string): Promise<any> => {
  try {
    return await kubectlJson(['-n', ns, 'get', 'deployment', name]);
  } catch {
    return undefined;
  }
};
export const routing = async (name: string): Promise<any> =>
  JSON.parse((await kubectlJson(['-n', ns, 'get', 'configmap', `${name}-routing`])).data['routing.json']);
export const version = (d: any): string => d.spec.template.metadata.labels['chatfleet.io/model-version'];

export async function waitPhase(name: string, phase: string, timeoutMs = 60_000): Promise<any> {
  return waitFor(
    `${name} rollout ${phase}`,
    async () => {
      const r = await rolloutOf(name);
      return r?.phase === phase ? r : undefined;
    },
    timeoutMs,
  );
}

export async function annotate(name: string, value: string): Promise<void> {
  await kubectl(['-n', ns, 'annotate', '--overwrite', `cbd/${name}`, `chatfleet.io/rollout-action=${value}`]);
}

/** Ready at v1, then spec.model v2: the rollout starts and reaches weight 10 (routing confirmed by every pod). */
export async function startRollout(name: string, extra: Record<string, unknown> = {}): Promise<void> {
  await applyCr(ns, name, { ...FAST, ...model('v1'), ...extra });
  await waitReady(ns, name);
  await waitPhase(name, 'Idle');
  await applyCr(ns, name, { ...FAST, ...model('v2'), ...extra });
}
