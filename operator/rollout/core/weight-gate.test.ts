import { describe, expect, it } from '@jest/globals';
import { Driver, healthy, spec, T0, target, versionSample, type Sampler } from './harness.test-support.js';
import type { RolloutInputSpec, RolloutState } from './types.js';

// The rule of issue 12's exposure goal: a weight is raised only after a check whose window and the total of
// every window at that weight both pass (weight-sample.ts); a window may fail before its end, never pass.

type Steps = RolloutInputSpec['rollout']['steps'];
const V1 = target('1.0');
const V2 = target('2.0');
const lowTraffic: Sampler = () => ({ canary: versionSample(20), stable: versionSample(180) });

/** A fleet on V1 asked for V2 at T0 + 5 s; after two more ticks every pod routes 10 % to the canary. */
function started(sampler: Sampler, patch: Partial<RolloutInputSpec['rollout']> = {}): Driver {
  const d = new Driver(spec(patch), V1, sampler);
  d.tick(5, { target: V2 });
  d.tick(5);
  d.tick(5);
  return d;
}

/** Every window gets `turns` canary turns with `errors` errors; stable is healthy (0.5 % errors). */
const windows =
  (turns: number, errors: number): Sampler =>
  () => ({ canary: versionSample(turns, errors), stable: versionSample(1800, 9) });
const longPause = [{ setWeight: 10 }, { pause: { durationSeconds: 120 } }, { setWeight: 25 }, { pause: {} }];
const once = {
  intervalSeconds: 30,
  failureThreshold: 1,
  minTurns: 50,
  maxErrorRate: 0.01,
  maxFallbackRate: 0.2,
};

describe('decide: the whole time at a weight', () => {
  // Window opens at 15 s (started()), complete checks at 45, 75, 105 s ...; looks every 5 s in between.
  it.each<[string, Sampler, Partial<RolloutState>, number, string]>([
    // 3/100 passes each window (99 % Wilson lower bound 0.86 %), but 6/200 over two windows fails (1.2 %):
    // the pause's 60 s are over at 75 s, yet the weight holds at 10 (no failed check is counted)
    [
      'thin windows that pass alone, whose total fails',
      windows(100, 3),
      { phase: 'Progressing', canaryWeight: 10, reason: 'AnalysisInconclusive', failedChecks: 0 },
      135,
      'windows at this weight fail, so the weight holds',
    ],
    // 1/100 per window: every window and every total passes, so the weight moves on after the pause
    ['windows and totals that pass', windows(100, 1), { phase: 'Progressing', canaryWeight: 25 }, 75, ''],
    // 20 turns per window never reach minTurns: the total (100 turns, 25 errors) is never judged alone
    [
      'thin windows with many errors',
      windows(20, 5),
      { phase: 'Progressing', canaryWeight: 10 },
      300,
      'fewer than minTurns',
    ],
  ])('%s', (_name, sampler, expected, seconds, reason) => {
    const d = started(sampler, { analysis: once });
    d.run(seconds - 15, 5, (x) => x.state.phase === 'Aborted' || x.state.canaryWeight > 10);
    expect(d.state).toMatchObject(expected);
    expect(d.time - T0).toBe(seconds * 1000);
    if (reason !== '') expect(d.state?.lastAnalysis.map((r) => r.reason).join(' ')).toContain(reason);
  });

  it('keeps the total of the windows at the weight in status, and starts it again at a new weight', () => {
    const d = started(windows(100, 1), { analysis: once, steps: longPause });
    d.run(60); // checks at 45 and 75 s
    expect(d.state?.weightSample).toMatchObject({
      weight: 10,
      since: new Date(T0 + 15_000).toISOString(),
      windows: 2,
      canary: { turns: 200, errors: 2 },
      stable: { turns: 3600, errors: 18 },
    });
    expect(d.state?.weightSample?.canary.latencyCounts).toHaveLength(7); // 6 finite bounds and +Inf
    d.run(60, 5, (x) => x.state.canaryWeight === 25); // the pause ends at 135 s, on a passing check
    expect(d.state?.canaryWeight).toBe(25);
    expect(d.state?.weightSample).toBeUndefined();
  });

  it.each<[string, Steps, number]>([
    ['a higher setWeight right after a setWeight', [{ setWeight: 10 }, { setWeight: 20 }, { pause: {} }], 20],
    ['promotion right after the last setWeight', [{ setWeight: 10 }], 10],
  ])('raises the weight only after a passing check: %s', (_name, steps, raised) => {
    const d = started(healthy, { steps });
    d.run(25); // up to 40 s: the window opened at 15 s is not complete yet
    expect(d.state).toMatchObject({ phase: 'Progressing', canaryWeight: 10, reason: 'Analyzing' });
    d.run(5); // 45 s: the first complete check passes
    expect(d.state?.lastAnalysis.every((r) => r.verdict === 'Pass')).toBe(true);
    expect(d.state?.canaryWeight).toBe(raised);
    if (raised === 10) expect(d.state?.phase).toBe('Promoting');
  });

  it('holds a setWeight step on a low-traffic canary, then pauses as Inconclusive', () => {
    const d = started(lowTraffic, { steps: [{ setWeight: 10 }, { setWeight: 20 }] });
    d.run(600);
    expect(d.state).toMatchObject({ phase: 'Paused', reason: 'AnalysisInconclusive', canaryWeight: 10 });
  });

  it('fails a window early when its data already fails at 99.99 %, and never passes one early', () => {
    const d = started(windows(200, 40), { analysis: once });
    d.tick(5); // 20 s: 5 s into the window
    expect(d.state).toMatchObject({ phase: 'Aborted', reason: 'AnalysisFailed' });
    expect(d.state?.message).toContain('99.99 %');
    const h = started(healthy);
    h.run(25); // 40 s: passing data, window incomplete: no check recorded
    expect(h.state?.lastAnalysis).toEqual([]);
    expect(h.decision.requeueAfterMs).toBe(5000);
  });

  it('resumes the total from status: a JSON round trip decides the same', () => {
    const a = started(windows(100, 2), { analysis: once, steps: longPause });
    a.run(70);
    expect(a.state?.weightSample?.windows).toBe(2);
    const b = new Driver(a.spec, V1, a.sampler);
    b.state = JSON.parse(JSON.stringify(a.state)) as RolloutState;
    b.time = a.time;
    b.observed = a.observed;
    b.decision = a.decision;
    expect(b.run(60)).toEqual(a.run(60));
  });
});
