/**
 * The latency-vs-concurrency curve a fleet has shown: a few bins of in-flight per pod, each with the
 * smoothed latency percentile of the windows that fell in it. Pure; part of capacity.ts.
 *
 * The curve is kept monotone (latency never falls as in-flight rises): a window that contradicts older
 * bins wins, because it is newer. A slow window removes every fast bin at or above its in-flight, a fast
 * window every slow bin at or below it. So a model that became slower forgets its old fast bins at once,
 * and one that became faster its old slow ones.
 *
 * The knee is where the curve crosses the aim latency: interpolated between the highest fast bin and the
 * slow bin above it when both exist, else extrapolated along the secant of the two highest fast bins, but
 * never further than MAX_EXTRAPOLATION beyond the highest in-flight seen fast (the fleet explores the rest
 * step by step, each step measured before the next).
 */

export interface CurvePoint {
  /** Log-spaced bin of in-flight per pod (round(log(x) / log(BIN_RATIO))). */
  bin: number;
  /** Smoothed in-flight turns per pod and latency percentile of the windows in the bin. */
  inflightPerPod: number;
  latencyMs: number;
  time: number;
}

/** Bins are this ratio wide (log-spaced), and at most MAX_POINTS are kept (the most recent). */
export const BIN_RATIO = 1.15;
export const MAX_POINTS = 12;
export const POINT_WEIGHT = 0.5;
/** How far past the highest in-flight seen within the aim the knee may be extrapolated. */
export const MAX_EXTRAPOLATION = 1.25;

const binOf = (inflight: number): number => Math.round(Math.log(inflight) / Math.log(BIN_RATIO));
const smooth = (old: number | undefined, value: number): number =>
  old === undefined ? value : old + POINT_WEIGHT * (value - old);

/** The curve with one more window: binned, smoothed, made monotone again, bounded in size. */
export function addToCurve(
  curve: CurvePoint[],
  inflightPerPod: number,
  latencyMs: number,
  aimMs: number,
  now: number,
): CurvePoint[] {
  const bin = binOf(inflightPerPod);
  const old = curve.find((p) => p.bin === bin);
  const point: CurvePoint = {
    bin,
    inflightPerPod: smooth(old?.inflightPerPod, inflightPerPod),
    latencyMs: smooth(old?.latencyMs, latencyMs),
    time: now,
  };
  const slow = point.latencyMs > aimMs;
  const kept = curve.filter((p) => {
    if (p.bin === bin) return false;
    if (slow) return !(p.bin > bin && p.latencyMs <= aimMs);
    return !(p.bin < bin && p.latencyMs > aimMs);
  });
  const next = [...kept, point];
  return next
    .sort((a, b) => b.time - a.time)
    .slice(0, MAX_POINTS)
    .sort((a, b) => a.bin - b.bin);
}

/**
 * In-flight per pod where the curve reaches the aim latency; null when the curve cannot tell. Latency is
 * convex in load, so the chord from the highest fast bin to the slow bin above it crosses the aim at or
 * before the curve does: a lower bound of the knee, and the slow bin an upper one. When they are far apart
 * (a slow bin left by an overload), the secant of the fast bins may explore beyond the chord, by at most
 * MAX_EXTRAPOLATION past the highest in-flight seen fast and never up to the slow bin.
 */
export function kneeOf(curve: CurvePoint[], aimMs: number): number | null {
  const fast = curve.filter((p) => p.latencyMs <= aimMs);
  const top = fast.at(-1);
  if (top === undefined) return null;
  const extrapolated = secantKnee(fast, aimMs);
  const above = curve.find((p) => p.bin > top.bin && p.latencyMs > aimMs);
  if (above === undefined) return extrapolated;
  const chord = interpolate(top, above, aimMs);
  return Math.min(above.inflightPerPod, Math.max(chord, extrapolated ?? chord));
}

/** Where the line through the two highest fast bins reaches the aim, capped at MAX_EXTRAPOLATION. */
function secantKnee(fast: CurvePoint[], aimMs: number): number | null {
  const top = fast.at(-1);
  const below = fast.at(-2);
  if (top === undefined || below === undefined || top.latencyMs <= below.latencyMs) return null;
  return Math.min(top.inflightPerPod * MAX_EXTRAPOLATION, interpolate(below, top, aimMs));
}

/** In-flight at `aimMs` on the straight line through two points of the curve. */
function interpolate(a: CurvePoint, b: CurvePoint, aimMs: number): number {
  const slope = (b.latencyMs - a.latencyMs) / (b.inflightPerPod - a.inflightPerPod);
  return a.inflightPerPod + (aimMs - a.latencyMs) / slope;
}
