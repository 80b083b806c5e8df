/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return --
   These tests inspect raw Kubernetes JSON (kubectl -o json); typing every field would add nothing. */
// Rollout controls against the real API server (kwok pods): the rollout-action annotation, spec.rollout.paused,
// a missing canary bundle, unreadable pods and spec changes during a rollout. Shared setup: rollout-fixture.ts.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  applyCr,
  condition,
  getCr,
  kubectl,
  metricValue,
  waitFor,
  waitReady,
} from '../../integration/support.js';

import {
  FAST,
  model,
  ns,
  operator,
  pods,
  rolloutOf,
  deployment,
  routing,
  version,
  waitPhase,
  annotate,
  startRollout,
  setupRollout,
  teardownRollout,
} from './rollout-fixture.js';

beforeAll(() => setupRollout('ro-ctl'));
afterAll(teardownRollout);

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
