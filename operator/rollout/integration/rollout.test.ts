/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return --
   These tests inspect raw Kubernetes JSON (kubectl -o json); typing every field would add nothing. */
// Progressive delivery against the real API server (kwok pods): the operator in-process with the rollout
// component. kwok pods serve no turns, so every analysis check is Inconclusive here: the rollout must hold
// and never promote on no data. Real traffic through real bot pods is the real-node e2e's job.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  applyCr,
  condition,
  createNamespace,
  deleteNamespace,
  getCr,
  installCrd,
  kubectl,
  kubectlJson,
  metricValue,
  waitFor,
  waitReady,
} from '../../integration/support.js';
import { FakePods, startRolloutOperator } from './support.js';
import type { RolloutOperator } from './support.js';

const FAST = {
  scaling: { minReplicas: 2, maxReplicas: 4 },
  rollout: {
    steps: [{ setWeight: 10 }, { analysis: {} }, { setWeight: 50 }],
    analysis: { intervalSeconds: 5, minTurns: 50 },
    progressDeadlineSeconds: 120,
  },
};
const model = (version: string, bundleConfigMap?: string): Record<string, unknown> => ({
  model: { name: 'support-bot', version, ...(bundleConfigMap ? { bundleConfigMap } : {}) },
});

let ns: string;
let operator: RolloutOperator;
const pods = new FakePods();

beforeAll(async () => {
  await installCrd();
  ns = await createNamespace('ro-int');
  await pods.start();
  operator = await startRolloutOperator(ns, pods);
});

afterAll(async () => {
  await operator?.stop();
  await pods.stop();
  if (ns) await deleteNamespace(ns);
});

const rolloutOf = async (name: string): Promise<any> => (await getCr(ns, name)).status?.rollout;
const deployment = async (name: string): Promise<any> => {
  try {
    return await kubectlJson(['-n', ns, 'get', 'deployment', name]);
  } catch {
    return undefined;
  }
};
const routing = async (name: string): Promise<any> =>
  JSON.parse((await kubectlJson(['-n', ns, 'get', 'configmap', `${name}-routing`])).data['routing.json']);
const version = (d: any): string => d.spec.template.metadata.labels['chatfleet.io/model-version'];

async function waitPhase(name: string, phase: string, timeoutMs = 60_000): Promise<any> {
  return waitFor(
    `${name} rollout ${phase}`,
    async () => {
      const r = await rolloutOf(name);
      return r?.phase === phase ? r : undefined;
    },
    timeoutMs,
  );
}

async function annotate(name: string, value: string): Promise<void> {
  await kubectl(['-n', ns, 'annotate', '--overwrite', `cbd/${name}`, `chatfleet.io/rollout-action=${value}`]);
}

/** Ready at v1, then spec.model v2: the rollout starts and reaches weight 10 (routing confirmed by every pod). */
async function startRollout(name: string, extra: Record<string, unknown> = {}): Promise<void> {
  await applyCr(ns, name, { ...FAST, ...model('v1'), ...extra });
  await waitReady(ns, name);
  await waitPhase(name, 'Idle');
  await applyCr(ns, name, { ...FAST, ...model('v2'), ...extra });
}

describe('a model change on a Ready fleet', () => {
  const name = 'canary';
  let stableGeneration: number;

  it('starts at Idle with the routing object of no rollout', async () => {
    await applyCr(ns, name, { ...FAST, ...model('v1') });
    await waitReady(ns, name);
    const r = await waitPhase(name, 'Idle');
    expect(r).toMatchObject({ stableVersion: 'v1', canaryWeight: 0 });
    expect(await routing(name)).toMatchObject({
      stableVersion: 'v1',
      canaryVersion: null,
      canaryWeight: 0,
      aborted: false,
    });
    const role = await kubectlJson(['-n', ns, 'get', 'role', `${name}-routing-reader`]);
    expect(role.rules).toEqual([
      {
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: [`${name}-routing`],
        verbs: ['get', 'list', 'watch'],
      },
    ]);
    const binding = await kubectlJson(['-n', ns, 'get', 'rolebinding', `${name}-routing-reader`]);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name, namespace: ns }]);
    const stable = await deployment(name);
    expect(stable.spec.template.spec.automountServiceAccountToken).toBe(true);
    stableGeneration = stable.metadata.generation;
  });

  it('creates <name>-canary with the new version; the stable Deployment is untouched', async () => {
    const before = await routing(name);
    await applyCr(ns, name, { ...FAST, ...model('v2') });
    const canary = await waitFor('canary Deployment', async () => deployment(`${name}-canary`));
    expect(version(canary)).toBe('v2');
    expect(canary.spec.selector.matchLabels['chatfleet.io/track']).toBe('canary');
    const r = await waitFor('weight 10', async () => {
      const s = await rolloutOf(name);
      return s?.canaryWeight === 10 ? s : undefined;
    });
    expect(r).toMatchObject({ phase: 'Progressing', stableVersion: 'v1', canaryVersion: 'v2' });
    expect(r.startedAt).toBeDefined();
    const after = await routing(name);
    expect(after).toMatchObject({
      stableVersion: 'v1',
      canaryVersion: 'v2',
      canaryWeight: 10,
      aborted: false,
    });
    expect(after.generation).toBeGreaterThan(before.generation);
    const stable = await deployment(name);
    expect(version(stable)).toBe('v1');
    expect(stable.metadata.generation).toBe(stableGeneration);
  });

  it('keeps the two Deployments apart although the stable selector matches canary pods', async () => {
    await waitFor(
      'canary pod Ready',
      async () => (await deployment(`${name}-canary`))?.status?.readyReplicas >= 1,
    );
    const all = (await kubectlJson(['-n', ns, 'get', 'pods', '-l', `app.kubernetes.io/instance=${name}`]))
      .items;
    const canaryPods = all.filter((p: any) => p.metadata.labels['chatfleet.io/track'] === 'canary');
    expect(canaryPods.length).toBeGreaterThanOrEqual(1);
    for (const p of canaryPods) {
      expect(p.metadata.ownerReferences[0].name).toMatch(new RegExp(`^${name}-canary-`));
      expect(p.metadata.labels['chatfleet.io/model-version']).toBe('v2');
    }
    const stable = await deployment(name);
    expect(stable.status.replicas).toBe(2); // its own pods only
    const svc = await kubectlJson(['-n', ns, 'get', 'service', name]);
    expect(svc.spec.selector).not.toHaveProperty('chatfleet.io/track');
    const canarySvc = await kubectlJson(['-n', ns, 'get', 'service', `${name}-canary`]);
    expect(canarySvc.spec.selector['chatfleet.io/track']).toBe('canary');
  });

  it('holds as Inconclusive on no data and never promotes', async () => {
    const r = await waitFor(
      'an analysis',
      async () => {
        const s = await rolloutOf(name);
        return (s?.lastAnalysis ?? []).length > 0 ? s : undefined;
      },
      60_000,
    );
    expect(r.lastAnalysis.map((a: any) => a.verdict)).toEqual(r.lastAnalysis.map(() => 'Inconclusive'));
    expect(r.phase).not.toBe('Promoted');
    expect(r.canaryWeight).toBe(10);
    expect(r.failedChecks).toBe(0);
    expect(condition(await getCr(ns, name), 'Progressing')).toMatchObject({
      status: expect.stringMatching(/True|Unknown/),
    });
    expect(
      await metricValue(operator.rolloutRegistry, 'chatfleet_rollout_analysis_total', {
        name,
        verdict: 'Inconclusive',
      }),
    ).toBeGreaterThan(0);
    expect(await metricValue(operator.rolloutRegistry, 'chatfleet_rollout_canary_weight', { name })).toBe(10);
    expect(
      await metricValue(operator.rolloutRegistry, 'chatfleet_rollout_phase', { name, phase: r.phase }),
    ).toBe(1);
    expect(version(await deployment(name))).toBe('v1');
  });
});

describe('manual controls through the annotation', () => {
  const name = 'manual';

  beforeAll(async () => {
    await startRollout(name);
    await waitFor('weight 10', async () => (await rolloutOf(name))?.canaryWeight === 10);
  });

  it('pause and resume', async () => {
    await annotate(name, 'pause@p1');
    const paused = await waitPhase(name, 'Paused');
    expect(paused.lastHandledAction).toBe('pause@p1');
    await annotate(name, 'resume@r1');
    const resumed = await waitPhase(name, 'Progressing');
    expect(resumed.lastHandledAction).toBe('resume@r1');
  });

  it('spec.rollout.paused is the declarative pause', async () => {
    await applyCr(ns, name, { ...FAST, ...model('v2'), rollout: { ...FAST.rollout, paused: true } });
    const paused = await waitPhase(name, 'Paused');
    expect(paused.reason).toBe('SpecPaused');
    expect(paused.canaryWeight).toBe(10);
    await applyCr(ns, name, { ...FAST, ...model('v2') });
    await waitPhase(name, 'Progressing');
  });

  it('abort: weight 0, pinned conversations move to stable, the canary scales to 0; re-applying is harmless', async () => {
    await annotate(name, 'abort@a1');
    const r = await waitPhase(name, 'Aborted');
    expect(r).toMatchObject({ canaryWeight: 0, lastHandledAction: 'abort@a1' });
    expect(await routing(name)).toMatchObject({ canaryVersion: 'v2', canaryWeight: 0, aborted: true });
    await waitFor(
      'canary at 0 replicas',
      async () => (await deployment(`${name}-canary`))?.spec.replicas === 0,
    );
    expect(condition(await getCr(ns, name), 'RolloutHealthy')).toMatchObject({ status: 'False' });
    expect(
      await metricValue(operator.rolloutRegistry, 'chatfleet_rollouts_total', { name, result: 'aborted' }),
    ).toBe(1);
    // The same value again (kubectl apply of an old manifest, say) changes nothing.
    await kubectl(['-n', ns, 'annotate', `cbd/${name}`, 'test.chatfleet.io/poke=1']);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await rolloutOf(name)).phase).toBe('Aborted');
    expect(version(await deployment(name))).toBe('v1');
  });

  it('retry starts the same canary again; promote-full promotes it', async () => {
    await annotate(name, 'retry@t1');
    await waitFor('weight 10 again', async () => {
      const s = await rolloutOf(name);
      return s?.phase === 'Progressing' && s.canaryWeight === 10 ? s : undefined;
    });
    await annotate(name, 'promote-full@f1');
    const r = await waitPhase(name, 'Promoted', 90_000);
    expect(r).toMatchObject({ stableVersion: 'v2', canaryWeight: 0, lastHandledAction: 'promote-full@f1' });
    expect(r.canaryVersion).toBeUndefined();
    // Promoted only once every stable pod runs the new version and is Ready.
    const stable = await deployment(name);
    expect(version(stable)).toBe('v2');
    expect(stable.status.observedGeneration).toBe(stable.metadata.generation);
    expect(stable.status.updatedReplicas).toBe(stable.spec.replicas);
    expect(stable.status.readyReplicas).toBe(stable.spec.replicas);
    await waitFor('canary removed', async () =>
      (await deployment(`${name}-canary`)) === undefined ? true : undefined,
    );
    expect(await routing(name)).toMatchObject({ stableVersion: 'v2', canaryVersion: null, canaryWeight: 0 });
    expect(
      await metricValue(operator.rolloutRegistry, 'chatfleet_rollouts_total', { name, result: 'promoted' }),
    ).toBe(1);
  });
});

describe('strategy Immediate', () => {
  it('skips the canary and updates the stable Deployment in place', async () => {
    const name = 'immediate';
    await startRollout(name, { rollout: { ...FAST.rollout, strategy: 'Immediate' } });
    await waitFor('stable at v2', async () => version(await deployment(name)) === 'v2');
    const r = await waitPhase(name, 'Promoted');
    expect(r.stableVersion).toBe('v2');
    const stable = await deployment(name);
    expect(stable.status.observedGeneration).toBe(stable.metadata.generation);
    expect(stable.status.updatedReplicas).toBe(stable.spec.replicas);
    expect(await deployment(`${name}-canary`)).toBeUndefined();
  });
});

describe('a canary whose bundle ConfigMap is missing', () => {
  it('is Degraded with the stable track untouched', async () => {
    const name = 'nobundle';
    await applyCr(ns, name, { ...FAST, ...model('v1') });
    await waitReady(ns, name);
    await waitPhase(name, 'Idle');
    const stableBefore = await deployment(name);
    await applyCr(ns, name, { ...FAST, ...model('v2', 'no-such-bundle') });
    const degraded = await waitFor('Degraded', async () => {
      const c = condition(await getCr(ns, name), 'Degraded');
      return c?.status === 'True' ? c : undefined;
    });
    expect(degraded.reason).toBe('CanaryBundleMissing');
    expect(degraded.message).toContain('no-such-bundle');
    const r = await rolloutOf(name);
    expect(r).toMatchObject({ phase: 'Progressing', canaryWeight: 0 });
    const stable = await deployment(name);
    expect(stable.metadata.generation).toBe(stableBefore.metadata.generation);
    expect(version(stable)).toBe('v1');
    expect(condition(await getCr(ns, name), 'Ready').status).toBe('True');
  });
});

describe('bot pods that cannot be read (no data)', () => {
  it('hold the step unconfirmed, never promote, and abort after progressDeadlineSeconds', async () => {
    const name = 'nodata';
    pods.modes.set(`${ns}/${name}`, 'unreachable');
    const rollout = { ...FAST.rollout, progressDeadlineSeconds: 30 };
    await startRollout(name, { rollout });
    const waiting = await waitFor('waiting for routing', async () => {
      const r = await rolloutOf(name);
      return r?.reason === 'WaitingForRouting' ? r : undefined;
    });
    expect(waiting).toMatchObject({ phase: 'Progressing', currentStepIndex: 0 });
    expect(waiting.lastAnalysis).toEqual([]);
    const aborted = await waitPhase(name, 'Aborted', 60_000);
    expect(aborted.reason).toBe('ProgressDeadlineExceeded');
    expect(aborted.stableVersion).toBe('v1');
    expect(version(await deployment(name))).toBe('v1');
  });
});

describe('spec changes during a rollout', () => {
  it('a newer version replaces the canary and starts again; the stable version back aborts at once', async () => {
    const name = 'respec';
    await startRollout(name);
    const first = await waitFor('weight 10', async () => {
      const r = await rolloutOf(name);
      return r?.canaryWeight === 10 ? r : undefined;
    });
    await applyCr(ns, name, { ...FAST, ...model('v3') });
    const restarted = await waitFor('canary v3', async () => {
      const r = await rolloutOf(name);
      return r?.canaryVersion === 'v3' ? r : undefined;
    });
    expect(restarted.stableVersion).toBe('v1');
    expect(restarted.currentStepIndex).toBe(0);
    expect(restarted.startedAt >= first.startedAt).toBe(true);
    await waitFor('canary Deployment at v3', async () => {
      const d = await deployment(`${name}-canary`);
      return d && version(d) === 'v3' ? true : undefined;
    });
    await applyCr(ns, name, { ...FAST, ...model('v1') });
    const reverted = await waitPhase(name, 'Aborted');
    expect(reverted).toMatchObject({ reason: 'SpecReverted', stableVersion: 'v1', canaryWeight: 0 });
    expect(await routing(name)).toMatchObject({ stableVersion: 'v1', canaryWeight: 0, aborted: true });
    expect(version(await deployment(name))).toBe('v1');
  });
});
