import { describe, expect, it } from '@jest/globals';
import type { VersionSample } from '../core/types.js';
import { judge, overallVerdict, Z_EARLY, type JudgePolicy } from './judge.js';

const POLICY: JudgePolicy = {
  minTurns: 50,
  maxErrorRate: 0.01,
  maxFallbackRate: 0.2,
  percentile: 95,
  targetMs: 300,
};
const BOUNDS = [0.1, 0.2, 0.3, 0.5, Infinity];

/** A sample from per-bucket latency counts over BOUNDS (turns = latency count unless given). */
function sample(latency: number[], errors = 0, fallbacks = 0, turns?: number): VersionSample {
  let cumulative = 0;
  const counts = latency.map((c) => (cumulative += c));
  return { turns: turns ?? cumulative, errors, fallbacks, latency: { bounds: BOUNDS, counts } };
}

const STABLE = sample([60, 35, 4, 1, 0]); // p95 = 200 ms exactly
const FAST = [30, 60, 9, 1, 0];

describe('judge', () => {
  // Expected Wilson / Newcombe / Mann-Whitney values are from the independent computation in stats.test.ts.
  it.each<[string, VersionSample, VersionSample, [string, string, string]]>([
    [
      'too few canary turns: every metric Inconclusive',
      sample([20, 19, 1, 0, 0]),
      STABLE,
      ['Inconclusive', 'Inconclusive', 'Inconclusive'],
    ],
    // 3/50 errors: Wilson 99 % lower bound 1.72 % > max 1 %
    ['3 errors in 50 turns is above max', sample([30, 17, 2, 1, 0], 3), STABLE, ['Fail', 'Pass', 'Pass']],
    // 2/50: lower bound 0.90 % <= 1 %; against 13/2700 the Newcombe lower bound is 0.39 points <= 1 point
    [
      '2 errors in 50 turns passes',
      sample([30, 17, 2, 1, 0], 2),
      sample([1620, 945, 108, 27, 0], 13),
      ['Pass', 'Pass', 'Pass'],
    ],
    // fallback 8/50 = 16 % < max 20 %, but vs stable 135/2700 = 5 % the difference is >= 2.33 points
    [
      'fallback significantly above stable',
      sample([30, 17, 2, 1, 0], 0, 8),
      sample([1620, 945, 108, 27, 0], 0, 135),
      ['Pass', 'Fail', 'Pass'],
    ],
    // 40 % of turns slower than 300 ms: lower bound 29.4 % > 5 %
    ['p95 above the SLO target', sample([10, 20, 30, 40, 0]), STABLE, ['Pass', 'Pass', 'Fail']],
    // both tracks 40 % slower than 300 ms: an overload of the fleet, not of the version
    [
      'p95 above the SLO target while stable misses it just as much',
      sample([10, 20, 30, 40, 0]),
      sample([100, 200, 300, 400, 0]),
      ['Pass', 'Pass', 'Pass'],
    ],
    // stable misses the SLO too (8 % slower than 300 ms, p95 375 ms), but the canary's p95 488 ms
    // is beyond the tolerance (375 x 1.2 + 10) and significantly slower: still a Fail
    [
      'both above the SLO and the canary much slower than stable',
      sample([0, 5, 10, 85, 0]),
      sample([600, 250, 70, 80, 0]),
      ['Pass', 'Pass', 'Fail'],
    ],
    // p95 300 ms vs 200 ms (> 200 x 1.2 + 10) and Mann-Whitney z 4.63 > 2.33
    [
      'latency worse than stable and significant',
      sample([30, 50, 15, 5, 0]),
      STABLE,
      ['Pass', 'Pass', 'Fail'],
    ],
    // p95 262.5 ms > 250 ms but z 1.94 < 2.33: not significant
    [
      'latency worse than stable but not significant',
      sample([22, 23, 4, 1, 0]),
      STABLE,
      ['Pass', 'Pass', 'Pass'],
    ],
    // z 4.84 but p95 276.9 ms vs 262.5 ms is within the tolerance (<= 325 ms)
    [
      'significant but within the tolerance',
      sample([400, 450, 130, 20, 0]),
      sample([500, 400, 80, 20, 0]),
      ['Pass', 'Pass', 'Pass'],
    ],
    [
      'no stable data: only the absolute limits',
      sample(FAST),
      sample([0, 0, 0, 0, 0]),
      ['Pass', 'Pass', 'Pass'],
    ],
  ])('%s', (_name, canary, stable, verdicts) => {
    const results = judge(canary, stable, POLICY);
    expect(results.map((r) => r.metric)).toEqual(['errorRate', 'fallbackRate', 'latency']);
    expect(results.map((r) => r.verdict)).toEqual(verdicts);
  });

  it('reports the values it judged', () => {
    const [errors, , latency] = judge(sample([30, 50, 15, 5, 0], 1), STABLE, POLICY);
    expect(errors).toMatchObject({ canary: 0.01, stable: 0, canaryTurns: 100, stableTurns: 100 });
    expect(latency).toMatchObject({ canary: 300, stable: 200, verdict: 'Fail' });
    expect(latency?.reason).toContain('Mann-Whitney z 4.63');
  });

  it('judges every metric over non-cache turns (the histogram count), not all turns', () => {
    // 200 turns, of which 160 cache hits: 40 non-cache turns are fewer than minTurns for every metric
    const results = judge(sample([20, 19, 1, 0, 0], 0, 0, 200), STABLE, POLICY);
    expect(results.map((r) => r.verdict)).toEqual(['Inconclusive', 'Inconclusive', 'Inconclusive']);
    // 2 errors in 100 turns, 50 of them cache hits: 2 of 50 model turns (Wilson lower 0.90 %) passes,
    // and 3 of 50 (1.72 %) fails, whatever the cache hit count
    const [pass] = judge(sample([30, 17, 2, 1, 0], 2, 0, 100), STABLE, POLICY);
    const [fail] = judge(sample([30, 17, 2, 1, 0], 3, 0, 100), STABLE, POLICY);
    expect([pass?.verdict, pass?.canaryTurns, fail?.verdict]).toEqual(['Pass', 50, 'Fail']);
  });

  // The early look of a window before its end uses z(0.9999): only stronger evidence fails it.
  it.each<[string, VersionSample, string, string]>([
    // 3/50: 99 % lower bound 1.72 % > 1 %, 99.99 % lower bound 0.94 % <= 1 %
    ['3 errors in 50 turns', sample([30, 17, 2, 1, 0], 3), 'Fail', 'Pass'],
    // 6/50: 99.99 % lower bound 3.01 % > 1 %
    ['6 errors in 50 turns', sample([30, 17, 2, 1, 0], 6), 'Fail', 'Fail'],
  ])('error rate at 99 %% and at the early 99.99 %%: %s', (_name, canary, at99, early) => {
    const [normal] = judge(canary, STABLE, POLICY);
    const [strict] = judge(canary, STABLE, { ...POLICY, z: Z_EARLY });
    expect([normal?.verdict, strict?.verdict]).toEqual([at99, early]);
    if (early === 'Fail') expect(strict?.reason).toContain('99.99 % lower bound 3.01 %');
  });

  it('treats minTurns 0 as at least one turn (no data is never a pass)', () => {
    const results = judge(sample([0, 0, 0, 0, 0]), STABLE, { ...POLICY, minTurns: 0 });
    expect(overallVerdict(results)).toBe('Inconclusive');
  });
});

describe('overallVerdict', () => {
  const r = (verdict: 'Pass' | 'Fail' | 'Inconclusive') => ({
    metric: 'latency' as const,
    canaryTurns: 0,
    stableTurns: 0,
    verdict,
    reason: '',
  });
  it.each([
    [['Pass', 'Pass'], 'Pass'],
    [['Pass', 'Inconclusive'], 'Inconclusive'],
    [['Inconclusive', 'Fail'], 'Fail'],
    [[], 'Inconclusive'],
  ] as const)('%j -> %s', (verdicts, expected) => {
    expect(overallVerdict(verdicts.map(r))).toBe(expected);
  });
});
