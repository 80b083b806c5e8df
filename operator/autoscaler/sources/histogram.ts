import type { PromSeries } from './prom-text.js';

/** A cumulative histogram: `counts[i]` observations <= `bounds[i]`; the last bound is +Inf. */
export interface Histogram {
  bounds: number[];
  counts: number[];
}

export const TURN_DURATION = 'chatfleet_turn_duration_seconds';
export const TURNS_INFLIGHT = 'chatfleet_turns_inflight';

/**
 * Sums the `_bucket` series of `metric` over every label set accepted by `include`, by `le`.
 * Shed turns (outcome="shed") are rejections answered in about a millisecond: counting them would make an
 * overloaded fleet look fast, so callers exclude them.
 */
export function histogramFrom(
  series: PromSeries[],
  metric: string,
  include: (labels: Record<string, string>) => boolean = () => true,
): Histogram {
  const byBound = new Map<number, number>();
  for (const s of series) {
    if (s.name !== `${metric}_bucket` || !include(s.labels)) continue;
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    byBound.set(le, (byBound.get(le) ?? 0) + s.value);
  }
  const bounds = [...byBound.keys()].sort((a, b) => a - b);
  return { bounds, counts: bounds.map((b) => byBound.get(b) ?? 0) };
}

export function totalCount(h: Histogram): number {
  return h.counts.at(-1) ?? 0;
}

/** Counters only go up; any bucket going down means the process restarted and counts began again at 0. */
export function isReset(previous: Histogram, current: Histogram): boolean {
  return current.bounds.some((b, i) => {
    const j = previous.bounds.indexOf(b);
    return j !== -1 && (current.counts[i] ?? 0) < (previous.counts[j] ?? 0);
  });
}

/** Increase from `previous` to `current`, like PromQL increase() between two scrapes (reset-aware). */
export function increase(previous: Histogram, current: Histogram): Histogram {
  if (isReset(previous, current)) return current;
  const counts = current.bounds.map((b, i) => {
    const j = previous.bounds.indexOf(b);
    return (current.counts[i] ?? 0) - (j === -1 ? 0 : (previous.counts[j] ?? 0));
  });
  return { bounds: current.bounds, counts };
}

export function addHistograms(a: Histogram, b: Histogram): Histogram {
  const byBound = new Map<number, number>();
  for (const h of [a, b])
    h.bounds.forEach((bound, i) => byBound.set(bound, (byBound.get(bound) ?? 0) + (h.counts[i] ?? 0)));
  const bounds = [...byBound.keys()].sort((x, y) => x - y);
  return { bounds, counts: bounds.map((bound) => byBound.get(bound) ?? 0) };
}

export const EMPTY_HISTOGRAM: Histogram = { bounds: [], counts: [] };

/** Cumulative count at `bound`: the count of the highest bound of `h` at or below it (0 below the first). */
export function cumulativeAt(h: Histogram, bound: number): number {
  let count = 0;
  h.bounds.forEach((b, i) => {
    if (b <= bound) count = Math.max(count, h.counts[i] ?? 0);
  });
  return count;
}

/**
 * PromQL histogram_quantile: find the bucket holding rank q x total and interpolate linearly inside it
 * (the first bucket starts at 0). A rank in the +Inf bucket returns the highest finite bound.
 * Returns null without observations or without a +Inf bucket.
 */
export function histogramQuantile(q: number, h: Histogram): number | null {
  const n = h.bounds.length;
  const total = totalCount(h);
  if (n < 2 || h.bounds[n - 1] !== Infinity || total <= 0) return null;
  const at = (values: number[], i: number): number => (i < 0 ? 0 : (values[i] ?? 0));
  const rank = q * total;
  const b = h.counts.findIndex((c) => c >= rank);
  if (b === -1 || b === n - 1) return at(h.bounds, n - 2);
  const upper = at(h.bounds, b);
  const lower = at(h.bounds, b - 1);
  const below = at(h.counts, b - 1);
  const inBucket = at(h.counts, b) - below;
  if (inBucket <= 0) return upper;
  return lower + (upper - lower) * ((rank - below) / inBucket);
}

export function gaugeSum(series: PromSeries[], metric: string): number | null {
  const matching = series.filter((s) => s.name === metric);
  return matching.length === 0 ? null : matching.reduce((sum, s) => sum + s.value, 0);
}
