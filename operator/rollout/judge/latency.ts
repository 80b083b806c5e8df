import {
  cumulativeAt,
  histogramQuantile,
  totalCount,
  type Histogram,
} from '../../autoscaler/sources/histogram.js';

/** Latency helpers over the runtime's cumulative histograms (bounds in seconds, last bound +Inf). */

/** Non-cumulative counts over the union of both histograms' bounds, so the two line up bucket for bucket. */
export function alignedBuckets(a: Histogram, b: Histogram): { a: number[]; b: number[] } {
  const bounds = [...new Set([...a.bounds, ...b.bounds])].sort((x, y) => x - y);
  return { a: perBucket(a, bounds), b: perBucket(b, bounds) };
}

function perBucket(h: Histogram, bounds: number[]): number[] {
  let previous = 0;
  return bounds.map((bound) => {
    const cumulative = cumulativeAt(h, bound);
    const inBucket = Math.max(0, cumulative - previous);
    previous = Math.max(previous, cumulative);
    return inBucket;
  });
}

/** The percentile (0..100 exclusive) in milliseconds, interpolated like histogram_quantile; null if empty. */
export function percentileMs(h: Histogram, percentile: number): number | null {
  const seconds = histogramQuantile(percentile / 100, h);
  return seconds === null ? null : seconds * 1000;
}

/**
 * Observations slower than `targetMs`, interpolating linearly inside the bucket holding the target (the
 * same assumption histogram_quantile makes). Observations in +Inf are slower than any finite target.
 */
export function slowerThan(h: Histogram, targetMs: number): number {
  const target = targetMs / 1000;
  const total = totalCount(h);
  let lower = 0;
  let below = 0;
  for (let i = 0; i < h.bounds.length; i++) {
    const upper = h.bounds[i] ?? Infinity;
    const cumulative = h.counts[i] ?? 0;
    if (target < upper) {
      if (upper === Infinity) return total - below;
      const fraction = (target - lower) / (upper - lower);
      return total - (below + (cumulative - below) * fraction);
    }
    lower = upper;
    below = cumulative;
  }
  return total - below;
}

export { totalCount };
