import { describe, expect, it } from '@jest/globals';
import { rolloutCondition } from './condition.js';
import { decide, stableRevisionOf } from './decide.js';
import { Driver, healthy, spec, T0, target, versionSample, type Sampler } from './harness.test-support.js';
import { parseAction } from './revision.js';
import type { RolloutState } from './types.js';

const V1 = target('1.0');
const V2 = target('2.0');
const V3 = target('3.0');
const lowTraffic: Sampler = () => ({ canary: versionSample(20), stable: versionSample(180) });
const erroring: Sampler = () => ({ canary: versionSample(200, 12), stable: versionSample(1800, 9) });

/** A fleet on V1 asked for V2 at T0 + 5 s; after two more ticks every pod routes 10 % to the canary. */
function started(sampler: Sampler = healthy, patch = {}): Driver {
  const d = new Driver(spec(patch), V1, sampler);
  d.tick(5, { target: V2 });
  d.tick(5);
  d.tick(5);
  return d;
}

describe('decide: starting', () => {
  it('adopts the first version as stable, without a canary', () => {
    const d = new Driver(spec(), V1);
    expect(d.decision).toMatchObject({
      state: { phase: 'Idle', stableVersion: '1.0', canaryWeight: 0, routingGeneration: 1 },
      routing: { generation: 1, stableVersion: '1.0', canaryVersion: null, canaryWeight: 0, aborted: false },
      canaryReplicasShare: 0,
      events: [],
    });
    expect(d.decision.canaryRevision).toBeUndefined();
  });

  it('returns an equal state in a steady state (no spurious status writes)', () => {
    const d = new Driver(spec(), V1);
    const before = d.state;
    expect(d.tick(30).state).toEqual(before);
    const rolling = started(lowTraffic);
    rolling.run(60);
    const s = rolling.state;
    const again = decide(
      rolling.spec,
      s,
      {
        target: V2,
        fleetReady: true,
        canaryReady: true,
        stableUpdated: false,
        minRoutingGeneration: s!.routingGeneration,
      },
      new Date(rolling.time),
    );
    expect(again.state).toEqual(s);
  });

  it('starts a canary when a Ready fleet gets a new target', () => {
    const d = started();
    expect(d.decision).toMatchObject({
      state: {
        phase: 'Progressing',
        stableVersion: '1.0',
        canaryVersion: '2.0',
        currentStepIndex: 1,
        canaryWeight: 10,
      },
      routing: { stableVersion: '1.0', canaryVersion: '2.0', canaryWeight: 10, aborted: false },
      canaryReplicasShare: 0.1,
      stableRevision: { version: '1.0', image: 'bot:1' },
      canaryRevision: { version: '2.0', id: V2.id },
    });
    expect(d.reasons()).toEqual(['RolloutStarted', 'WeightChanged']);
  });

  it('holds weight 0 until the canary is Ready, sized for its first step', () => {
    const d = new Driver(spec(), V1);
    d.tick(5, { target: V2, canaryReady: false });
    d.run(60);
    expect(d.decision).toMatchObject({
      state: { reason: 'WaitingForCanary', canaryWeight: 0 },
      canaryReplicasShare: 0.1,
    });
    d.tick(5, { canaryReady: true });
    expect(d.state).toMatchObject({ canaryWeight: 10, reason: 'WaitingForRouting' });
  });

  it.each([
    ['strategy Immediate', { strategy: 'Immediate' as const }, true],
    ['a fleet that is not Ready', {}, false],
  ])('updates in place for %s', (_name, patch, ready) => {
    const d = new Driver(spec(patch), V1);
    d.tick(5, { target: V2, fleetReady: ready });
    expect(d.decision).toMatchObject({
      state: { phase: 'Promoting' },
      stableRevision: { version: '2.0' },
      canaryReplicasShare: 0,
    });
    expect(d.decision.canaryRevision).toBeUndefined();
    d.tick(5, { stableUpdated: true });
    expect(d.decision).toMatchObject({
      state: { phase: 'Promoted', stableVersion: '2.0' },
      routing: { stableVersion: '2.0', canaryVersion: null },
    });
    expect(d.reasons()).toEqual(['RolloutStarted', 'Promoted']);
  });

  it('gives an image-only change a distinct version', () => {
    const d = new Driver(spec(), V1);
    d.tick(5, { target: target('1.0', 'bot:2') });
    expect(d.state?.canaryVersion).toMatch(/^1\.0-r[0-9a-f]{6}$/);
    expect(d.decision.routing.canaryVersion).toBe(d.state?.canaryVersion);
  });
});

describe('decide: steps and analysis', () => {
  it('walks the default steps with passing checks, then promotes', () => {
    const d = started();
    const weights: number[] = [];
    d.run(600, 5, (x) => {
      weights.push(x.state.canaryWeight);
      return x.state.phase === 'Promoting';
    });
    expect(d.decision).toMatchObject({
      state: { phase: 'Promoting', canaryWeight: 50 },
      stableRevision: { version: '2.0' },
      canaryRevision: { version: '2.0' },
    });
    expect([...new Set(weights)]).toEqual([10, 25, 50]);
    // each pause is 60 s and ends on a check: promotion 180-200 s after the start
    expect(d.time - T0).toBeGreaterThanOrEqual(185_000);
    expect(d.time - T0).toBeLessThanOrEqual(215_000);
    d.tick(5, { stableUpdated: true });
    expect(d.decision).toMatchObject({
      state: { phase: 'Promoted', stableVersion: '2.0', canaryWeight: 0 },
      routing: { canaryVersion: null },
    });
    expect(d.decision.canaryRevision).toBeUndefined();
    expect(d.reasons()).toEqual([
      'RolloutStarted',
      'WeightChanged',
      'WeightChanged',
      'WeightChanged',
      'Promoted',
    ]);
    expect(rolloutCondition(d.state!)).toMatchObject({ status: 'True', reason: 'Promoted' });
  });

  it('opens a window only once every pod reports the step generation', () => {
    const d = new Driver(spec(), V1);
    d.tick(5, { target: V2, minRoutingGeneration: 1 });
    d.run(120);
    expect(d.state).toMatchObject({ reason: 'WaitingForRouting', canaryWeight: 0, lastAnalysis: [] });
    expect(d.state?.analysisWindowStart).toBeUndefined();
    d.tick(5, { minRoutingGeneration: undefined });
    expect(d.state).toMatchObject({ reason: 'WaitingForRouting', canaryWeight: 10 });
    d.tick(5);
    expect(d.state?.analysisWindowStart).toBe(new Date(d.time).toISOString());
  });

  it('holds on Inconclusive, never passes, and pauses after max(10 intervals, 5 min)', () => {
    const d = started(lowTraffic);
    d.run(295);
    expect(d.state).toMatchObject({
      phase: 'Progressing',
      reason: 'AnalysisInconclusive',
      canaryWeight: 10,
      currentStepIndex: 1,
    });
    d.run(60);
    expect(d.state).toMatchObject({ phase: 'Paused', reason: 'AnalysisInconclusive', canaryWeight: 10 });
    d.run(3600);
    expect(d.state?.phase).toBe('Paused');
    expect(d.reasons().filter((r) => r === 'AnalysisInconclusive')).toHaveLength(1);
    expect(d.state?.lastAnalysis.every((r) => r.verdict === 'Inconclusive')).toBe(true);
  });

  it('counts a window without data as Inconclusive', () => {
    const d = started(() => undefined);
    d.run(60);
    expect(d.state?.lastAnalysis[0]).toMatchObject({
      verdict: 'Inconclusive',
      reason: expect.stringContaining('no analysis data'),
    });
  });

  it('ignores a sample collected for another window or from before it', () => {
    const d = started();
    const s = d.state!;
    const late = new Date(d.time + 40_000);
    const base = {
      target: V2,
      fleetReady: true,
      canaryReady: true,
      stableUpdated: false,
      minRoutingGeneration: s.routingGeneration,
    };
    const data = { canary: versionSample(200), stable: versionSample(1800) };
    const other = decide(
      d.spec,
      s,
      { ...base, analysis: { window: 'x', from: s.analysisWindowStart!, to: late.toISOString(), ...data } },
      late,
    );
    expect(other.state.lastAnalysis).toEqual([]);
    const early = new Date(Date.parse(s.analysisWindowStart!) - 1000).toISOString();
    const before = decide(
      d.spec,
      s,
      { ...base, analysis: { window: s.analysisWindowStart!, from: early, to: late.toISOString(), ...data } },
      late,
    );
    expect(before.state.lastAnalysis).toEqual([]);
  });

  it('aborts after failureThreshold failed checks, naming the values', () => {
    const d = started(erroring);
    d.run(300, 5, (x) => x.state.phase === 'Aborted');
    expect(d.state).toMatchObject({
      phase: 'Aborted',
      reason: 'AnalysisFailed',
      failedChecks: 3,
      canaryWeight: 0,
    });
    // window opened at 15 s; 6 % errors in 200 turns fail even the early looks' 99.99 % bound, so each
    // look 5 s into a window is a failed check: 20, 25, 30 s
    expect(d.time - T0).toBe(30_000);
    expect(d.decision).toMatchObject({
      routing: { canaryVersion: '2.0', canaryWeight: 0, aborted: true },
      canaryReplicasShare: 0,
    });
    const rolledBack = d.decision.events.find((e) => e.reason === 'RolledBack');
    expect(rolledBack).toMatchObject({ type: 'Warning' });
    expect(rolledBack?.note).toContain('errorRate: canary 6.00 % above max 1.00 % (99.99 % lower bound');
    expect(rolloutCondition(d.state!)).toMatchObject({ status: 'False', reason: 'AnalysisFailed' });
    const after = d.tick(600);
    expect(after.state).toEqual(d.state);
    expect(after.requeueAfterMs).toBeUndefined();
  });

  it('aborts a canary that is not Ready within progressDeadlineSeconds', () => {
    const d = new Driver(spec(), V1);
    d.tick(5, { target: V2, canaryReady: false });
    d.run(600);
    expect(d.state?.phase).toBe('Progressing');
    d.run(10);
    expect(d.state).toMatchObject({ phase: 'Aborted', reason: 'ProgressDeadlineExceeded' });
  });

  it('restarts with a newer version and aborts at once when the spec returns to stable', () => {
    const d = started(erroring);
    d.tick(5);
    expect(d.state?.failedChecks).toBe(1);
    d.tick(5, { target: V3 });
    expect(d.state).toMatchObject({
      phase: 'Progressing',
      canaryVersion: '3.0',
      stableVersion: '1.0',
      failedChecks: 0,
      currentStepIndex: 0,
    });
    d.tick(5, { target: V1 });
    expect(d.state).toMatchObject({ phase: 'Aborted', reason: 'SpecReverted' });
    expect(d.decision.routing).toMatchObject({ aborted: true, canaryWeight: 0 });
    expect(rolloutCondition(d.state!).status).toBe('True');
  });

  it('waits at an indefinite pause until resumed', () => {
    const d = started(healthy, { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 60 }] });
    d.run(300);
    expect(d.state).toMatchObject({ phase: 'Paused', reason: 'AwaitingResume', canaryWeight: 20 });
    d.tick(5, { action: parseAction('resume@1') });
    expect(d.state).toMatchObject({ phase: 'Progressing', canaryWeight: 60, currentStepIndex: 2 });
  });
});

describe('decide: manual and declarative controls', () => {
  it('handles each action once, recording it', () => {
    const d = started();
    d.tick(5, { action: parseAction('pause@a') });
    expect(d.state).toMatchObject({ phase: 'Paused', reason: 'ManualPause', lastHandledAction: 'pause@a' });
    d.run(300);
    expect(d.state).toMatchObject({ phase: 'Paused', canaryWeight: 10 });
    d.tick(5, { action: parseAction('resume@b') });
    expect(d.state?.phase).toBe('Progressing');
    d.tick(5, { action: parseAction('pause@a') }); // an old annotation again: ignored, nonce differs from last
    expect(d.state).toMatchObject({ phase: 'Paused', lastHandledAction: 'pause@a' });
    d.tick(5);
    expect(d.state?.phase).toBe('Paused'); // re-applying the same value is harmless
    d.tick(5, { action: parseAction('promote@c') });
    expect(d.state).toMatchObject({ phase: 'Progressing', canaryWeight: 25 });
    d.tick(5, { action: parseAction('promote-full@d') });
    expect(d.state?.phase).toBe('Promoting');
    d.tick(5, { action: parseAction('abort@e') });
    expect(d.state).toMatchObject({ phase: 'Aborted', reason: 'ManualAbort' });
    expect(d.decision.stableRevision.version).toBe('1.0');
    d.tick(5, { action: parseAction('retry@f') });
    expect(d.state).toMatchObject({
      phase: 'Progressing',
      canaryVersion: '2.0',
      failedChecks: 0,
      canaryWeight: 0,
    });
    d.tick(5, { action: parseAction('retry@g') });
    expect(d.state).toMatchObject({ phase: 'Progressing', lastHandledAction: 'retry@g' }); // not applicable: recorded, no effect
  });

  it('pauses while spec.rollout.paused is true', () => {
    const d = started();
    d.spec = spec({ paused: true });
    d.run(300);
    expect(d.state).toMatchObject({ phase: 'Paused', reason: 'SpecPaused', canaryWeight: 10 });
    d.spec = spec();
    d.run(30); // the pause's 60 s ran on while paused, and checks kept passing
    expect(d.state).toMatchObject({ phase: 'Progressing', canaryWeight: 25 });
  });

  it('resumes from status alone: a JSON round trip decides the same', () => {
    const a = started(erroring);
    a.run(40);
    const b = new Driver(a.spec, V1, erroring);
    b.state = JSON.parse(JSON.stringify(a.state)) as RolloutState;
    b.time = a.time;
    b.observed = a.observed;
    b.decision = a.decision;
    expect(b.run(60)).toEqual(a.run(60));
  });
});

describe('parseAction', () => {
  it.each([
    ['pause@abc', { verb: 'pause', nonce: 'abc', raw: 'pause@abc' }],
    [
      'promote-full@2026-01-01T10.00',
      { verb: 'promote-full', nonce: '2026-01-01T10.00', raw: 'promote-full@2026-01-01T10.00' },
    ],
    ['abort', { verb: 'abort', nonce: '', raw: 'abort' }],
    ['explode@1', undefined],
    ['pause@', undefined],
    ['pause@a b', undefined],
    [`retry@${'x'.repeat(100)}`, undefined],
    [undefined, undefined],
  ])('%j', (value, expected) => {
    expect(parseAction(value)).toEqual(expected);
  });
});

describe('stableRevisionOf', () => {
  it('is the promoted canary while Promoting, and the stable revision otherwise', () => {
    const d = new Driver(spec({ strategy: 'Immediate' }), V1);
    expect(stableRevisionOf(d.state!).version).toBe('1.0');
    d.tick(5, { target: V2 });
    expect(d.state).toMatchObject({ phase: 'Promoting', stableVersion: '1.0' });
    expect(stableRevisionOf(d.state!).version).toBe('2.0');
    expect(d.decision.stableRevision).toEqual(stableRevisionOf(d.state!));
  });
});
