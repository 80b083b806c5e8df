import { describe, expect, it } from '@jest/globals';
import type { AnalysisResult, StoredCounts, VersionSample, WeightSample } from './types.js';
import { addWindow, combine, load, MAX_LATENCY_BOUNDS, sumHistograms } from './weight-sample.js';

const sample = (turns: number, errors: number, bounds: number[], counts: number[]): VersionSample => ({
  turns,
  errors,
  fallbacks: 0,
  latency: { bounds, counts },
});
/** What a window of `sample` is stored as, with the bounds [0.1, 0.5] of these tests. */
const stored = (turns: number, errors: number, latencyCounts: number[]): StoredCounts => ({
  turns,
  errors,
  fallbacks: 0,
  latencyBounds: [0.1, 0.5],
  latencyCounts,
});
const W0 = '2026-01-01T00:00:15.000Z';
const W1 = '2026-01-01T00:00:45.000Z';

describe('addWindow', () => {
  const a = sample(100, 2, [0.1, 0.5, Infinity], [60, 95, 100]);
  const b = sample(50, 1, [0.1, 0.5, Infinity], [20, 45, 50]);
  const first = addWindow(undefined, 10, W0, a, b);

  it.each<[string, WeightSample | undefined, number, Partial<WeightSample>]>([
    [
      'starts a total from its first window, +Inf left out of the bounds',
      undefined,
      10,
      {
        weight: 10,
        since: W0,
        windows: 1,
        canary: stored(100, 2, [60, 95, 100]),
      },
    ],
    [
      'adds a window at the same weight, keeping where the total began',
      first,
      10,
      {
        since: W0,
        windows: 2,
        canary: stored(200, 4, [120, 190, 200]),
        stable: stored(100, 2, [40, 90, 100]),
      },
    ],
    ['starts again at another weight', first, 25, { weight: 25, since: W1, windows: 1 }],
  ])('%s', (_name, previous, weight, expected) => {
    expect(addWindow(previous, weight, previous === undefined ? W0 : W1, a, b)).toMatchObject(expected);
  });

  it('survives a JSON round trip (status) and loads back with +Inf as the last bound', () => {
    const status = JSON.parse(JSON.stringify(first)) as WeightSample;
    expect(load(status.canary)).toEqual(a);
  });

  it(`merges buckets beyond ${MAX_LATENCY_BOUNDS} finite bounds, keeping the histogram cumulative`, () => {
    const bounds = [...Array.from({ length: 200 }, (_, i) => (i + 1) / 100), Infinity];
    const counts = bounds.map((_, i) => i + 1);
    const total = addWindow(undefined, 10, W0, sample(201, 0, bounds, counts), a);
    expect(total.canary.latencyBounds.length).toBeLessThanOrEqual(MAX_LATENCY_BOUNDS);
    expect(total.canary.latencyBounds.at(-1)).toBe(2);
    expect(total.canary.latencyCounts).toHaveLength(total.canary.latencyBounds.length + 1);
    expect(total.canary.latencyCounts.at(-1)).toBe(201);
    const c = total.canary.latencyCounts;
    expect(c.every((n, i) => i === 0 || n >= (c[i - 1] ?? 0))).toBe(true);
  });

  it('loads stored counts of a mismatched length as an empty histogram (never a pass)', () => {
    const broken = { turns: 5, errors: 0, fallbacks: 0, latencyBounds: [0.1], latencyCounts: [1, 2, 3] };
    expect(load(broken).latency).toEqual({ bounds: [], counts: [] });
  });
});

describe('sumHistograms', () => {
  it.each<[string, number[], number[], number[], number[], number[], number[]]>([
    ['same bounds', [0.1, Infinity], [3, 5], [0.1, Infinity], [1, 2], [0.1, Infinity], [4, 7]],
    // a bound only one side has takes the other side's count at its highest bound below
    ['different bounds', [0.1, Infinity], [3, 5], [0.2, Infinity], [1, 2], [0.1, 0.2, Infinity], [3, 4, 7]],
  ])('%s', (_name, ab, ac, bb, bc, bounds, counts) => {
    expect(sumHistograms({ bounds: ab, counts: ac }, { bounds: bb, counts: bc })).toEqual({ bounds, counts });
  });
});

const result = (verdict: AnalysisResult['verdict'], reason: string): AnalysisResult => ({
  metric: 'errorRate',
  canaryTurns: 0,
  stableTurns: 0,
  verdict,
  reason,
});

describe('combine', () => {
  it.each<[AnalysisResult['verdict'], AnalysisResult['verdict'], number, AnalysisResult['verdict'], string]>([
    ['Pass', 'Pass', 2, 'Pass', '2 windows at this weight: total'],
    // a failing total holds the weight; it does not count as a failed check
    ['Pass', 'Fail', 3, 'Inconclusive', '3 windows at this weight fail, so the weight holds: total'],
    ['Pass', 'Inconclusive', 2, 'Inconclusive', '2 windows at this weight: total'],
    ['Fail', 'Pass', 2, 'Fail', 'window'],
    ['Fail', 'Fail', 2, 'Fail', 'window'],
    // a thin window is never overruled by its total
    ['Inconclusive', 'Fail', 9, 'Inconclusive', 'window'],
    ['Inconclusive', 'Pass', 9, 'Inconclusive', 'window'],
    // the first window at a weight is its own total
    ['Pass', 'Fail', 1, 'Pass', 'window'],
  ])('window %s, total %s, %d windows: %s', (w, t, n, verdict, reason) => {
    const [combined] = combine([result(w, 'window')], [result(t, 'total')], n);
    expect(combined).toMatchObject({ verdict, reason });
  });
});
