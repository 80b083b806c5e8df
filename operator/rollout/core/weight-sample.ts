/**
 * The analysis data of the current weight (`status.rollout.weightSample`): every window judged at this
 * weight, summed. Each check judges this total as well as its own window, so the weight is raised on the
 * evidence of the whole time at it, not of its last window alone (two thin windows can each pass where
 * their sum fails). The total lives in status, so a new leader carries it on.
 */
import { cumulativeAt, type Histogram } from '../../autoscaler/sources/histogram.js';
import type { AnalysisResult, StoredCounts, VersionSample, WeightSample } from './types.js';

/** At most this many finite latency bounds are stored (the runtime exports 18); more are merged. */
export const MAX_LATENCY_BOUNDS = 64;

/** The sum of two cumulative histograms over the union of their bounds. */
export function sumHistograms(a: Histogram, b: Histogram): Histogram {
  const bounds = [...new Set([...a.bounds, ...b.bounds])].sort((x, y) => x - y);
  return { bounds, counts: bounds.map((bound) => cumulativeAt(a, bound) + cumulativeAt(b, bound)) };
}

/**
 * Drops bounds (merging their buckets, which keeps a cumulative histogram valid) until at most
 * MAX_LATENCY_BOUNDS finite ones are left; the highest finite bound and +Inf are always kept.
 */
function coarsen(h: Histogram): Histogram {
  const finite = h.bounds.filter(Number.isFinite).length;
  if (finite <= MAX_LATENCY_BOUNDS) return h;
  const every = Math.ceil(finite / (MAX_LATENCY_BOUNDS - 1));
  const keep = (b: number, i: number): boolean =>
    !Number.isFinite(b) || i % every === every - 1 || i === finite - 1;
  return {
    bounds: h.bounds.filter(keep),
    counts: h.counts.filter((_, i) => keep(h.bounds[i] ?? Infinity, i)),
  };
}

function store(v: VersionSample): StoredCounts {
  const pairs = v.latency.bounds
    .map((bound, i) => ({ bound, count: v.latency.counts[i] ?? 0 }))
    .filter((p) => Number.isFinite(p.bound) || p.bound === Infinity)
    .sort((x, y) => x.bound - y.bound);
  const latency = coarsen({ bounds: pairs.map((p) => p.bound), counts: pairs.map((p) => p.count) });
  return {
    turns: v.turns,
    errors: v.errors,
    fallbacks: v.fallbacks,
    latencyBounds: latency.bounds.filter(Number.isFinite),
    latencyCounts: latency.counts,
  };
}

/** The stored counts as a sample for the judge (+Inf restored as the last bound when it was stored). */
export function load(c: StoredCounts): VersionSample {
  const inf = c.latencyCounts.length === c.latencyBounds.length + 1;
  const valid = inf || c.latencyCounts.length === c.latencyBounds.length;
  return {
    turns: c.turns,
    errors: c.errors,
    fallbacks: c.fallbacks,
    latency: valid
      ? { bounds: inf ? [...c.latencyBounds, Infinity] : [...c.latencyBounds], counts: [...c.latencyCounts] }
      : { bounds: [], counts: [] },
  };
}

function add(total: StoredCounts, window: VersionSample): StoredCounts {
  const sum = load(total);
  return store({
    turns: sum.turns + window.turns,
    errors: sum.errors + window.errors,
    fallbacks: sum.fallbacks + window.fallbacks,
    latency: sumHistograms(sum.latency, window.latency),
  });
}

/**
 * Adds one judged window (`windowStart` is its analysisWindowStart) to the total of `weight`. A total of
 * another weight, or none, starts again from this window.
 */
export function addWindow(
  previous: WeightSample | undefined,
  weight: number,
  windowStart: string,
  canary: VersionSample,
  stable: VersionSample,
): WeightSample {
  if (previous === undefined || previous.weight !== weight)
    return { weight, since: windowStart, windows: 1, canary: store(canary), stable: store(stable) };
  return {
    ...previous,
    windows: previous.windows + 1,
    canary: add(previous.canary, canary),
    stable: add(previous.stable, stable),
  };
}

/**
 * One result per metric from the window's and the total's. The window's own verdict decides a Fail or an
 * Inconclusive (fewer than minTurns canary turns): a total of many thin windows is never judged alone, and
 * only a window's data counts towards failureThreshold. A passing window takes the total's verdict, except
 * that a failing total holds the weight (Inconclusive) instead of failing the check. Judging the total adds
 * tests, and counting its failures would add false rollbacks (the simulation showed it); holding costs an
 * equal model one more window at most. So a metric passes only if both pass.
 */
export function combine(
  window: AnalysisResult[],
  total: AnalysisResult[],
  windows: number,
): AnalysisResult[] {
  if (windows <= 1) return window;
  return window.map((w) => {
    const t = total.find((r) => r.metric === w.metric);
    if (t === undefined || w.verdict !== 'Pass') return w;
    const over = `${windows} windows at this weight`;
    if (t.verdict === 'Fail')
      return { ...t, verdict: 'Inconclusive', reason: `${over} fail, so the weight holds: ${t.reason}` };
    return { ...t, reason: `${over}: ${t.reason}` };
  });
}
