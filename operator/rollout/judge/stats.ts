/**
 * Statistics of the rollout judge, all closed-form and pure:
 * - Wilson score bounds of a binomial proportion;
 * - Newcombe's hybrid score bound (method 10) of a difference of two proportions;
 * - the Mann-Whitney U test on bucketed (tied) samples, normal approximation with tie and continuity
 *   correction, one-sided.
 */

/** One-sided 99 % confidence: the standard normal quantile z(0.99). */
export const CONFIDENCE = 0.99;
export const Z_ONE_SIDED_99 = 2.3263478740408408;

export interface Interval {
  lower: number;
  upper: number;
}

/**
 * Wilson score interval of `successes` out of `n` at quantile z: each bound is a one-sided bound at the
 * confidence of z. n = 0 gives the uninformative [0, 1].
 */
export function wilson(successes: number, n: number, z: number = Z_ONE_SIDED_99): Interval {
  if (n <= 0) return { lower: 0, upper: 1 };
  const p = Math.min(1, Math.max(0, successes / n));
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const spread = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  const denominator = 1 + z2 / n;
  return {
    lower: Math.max(0, (centre - spread) / denominator),
    upper: Math.min(1, (centre + spread) / denominator),
  };
}

/**
 * Newcombe (1998, method 10) bounds of p1 - p2 from the two Wilson intervals:
 * lower = d - sqrt((p1 - l1)^2 + (u2 - p2)^2), upper = d + sqrt((u1 - p1)^2 + (p2 - l2)^2).
 */
export function newcombeDifference(
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  z = Z_ONE_SIDED_99,
): Interval {
  const p1 = n1 > 0 ? x1 / n1 : 0;
  const p2 = n2 > 0 ? x2 / n2 : 0;
  const w1 = wilson(x1, n1, z);
  const w2 = wilson(x2, n2, z);
  const d = p1 - p2;
  return {
    lower: d - Math.hypot(p1 - w1.lower, w2.upper - p2),
    upper: d + Math.hypot(w1.upper - p1, p2 - w2.lower),
  };
}

export interface MannWhitney {
  /** U of the first sample: pairs where it is larger, ties counting one half. */
  u: number;
  /** Standardised U (continuity-corrected towards the mean); positive = first sample larger. */
  z: number;
}

/**
 * Mann-Whitney U of sample A against sample B given per-bucket (non-cumulative) counts over the same ordered
 * buckets; values in one bucket are ties. Variance with tie correction:
 * nA nB / 12 x ((N + 1) - sum(t^3 - t) / (N (N - 1))). Returns null when either sample is empty or every
 * value is tied (no variance).
 */
export function mannWhitney(a: number[], b: number[]): MannWhitney | null {
  const nA = sum(a);
  const nB = sum(b);
  const n = nA + nB;
  if (nA <= 0 || nB <= 0) return null;
  let u = 0;
  let bBelow = 0;
  let ties = 0;
  const buckets = Math.max(a.length, b.length);
  for (let i = 0; i < buckets; i++) {
    const ai = a[i] ?? 0;
    const bi = b[i] ?? 0;
    u += ai * (bBelow + bi / 2);
    bBelow += bi;
    const t = ai + bi;
    ties += t * t * t - t;
  }
  const variance = ((nA * nB) / 12) * (n + 1 - ties / (n * (n - 1)));
  if (!(variance > 0)) return null;
  const mean = (nA * nB) / 2;
  const corrected = Math.max(0, Math.abs(u - mean) - 0.5) * Math.sign(u - mean);
  return { u, z: corrected / Math.sqrt(variance) };
}

function sum(values: number[]): number {
  return values.reduce((s, v) => s + v, 0);
}
