import { describe, expect, it } from '@jest/globals';
import { rolloutCondition } from './condition.js';
import { decide } from './decide.js';
import {
  Driver,
  healthy,
  spec,
  T0,
  versionSample,
  V1,
  V2,
  V3,
  lowTraffic,
  erroring,
  started,
} from './harness.test-support.js';
import { parseAction } from './revision.js';

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
