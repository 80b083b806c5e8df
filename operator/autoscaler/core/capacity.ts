/**
 * Learns, online, how many turns in flight a pod of this fleet sustains at the SLO: the in-flight target
 * used when spec.scaling.targetInflightPerPod is unset. Pure; the observation comes from the runtime's own
 * metrics (capacity-target.ts), the estimate lives in the autoscaler state.
 *
 * The model is Little's law, per pod: in-flight x = throughput x mean latency. When a pod carries x turns at
 * latency y, carrying x' > x cannot lower its throughput, so latency at x' is at most y x x' / x; carrying
 * x' < x cannot raise its throughput, so latency at x' is at least y x x' / x (the percentile scales the
 * same way as long as the shape of the distribution does not widen). So each window gives one bound of the in-flight at which the percentile reaches the aim latency A:
 *
 *     bound = x * A / y     a LOWER bound when y <= A (the pods were faster than the aim),
 *                           an UPPER bound when y > A (slower).
 *
 * Where the percentile crosses the aim (the knee) both kinds of window meet and the estimate settles: it is
 * a fixed-point iteration x <- x * A / y(x) that converges because throughput flattens near saturation. The
 * aim is AIM_SHARE of the target (a margin for noise and for pods starting), so the learnt operating point
 * keeps the percentile under the SLO rather than on it.
 *
 * Little's bound from one operating point is cautious (it assumes throughput stops growing there), so the
 * windows also build a latency-vs-in-flight curve (capacity-curve.ts) whose knee refines it wherever the
 * fleet has run at more than one load; where it has not, a bounded probe (probeValue) lets the estimate
 * creep up while the fleet meets the aim at it.
 *
 * Smoothing: a lower bound only ever raises the estimate, by RAISE_WEIGHT of the gap, at most
 * MAX_RAISE_STEP per window and only when the window was clearly faster than the aim (RAISE_BELOW: a
 * single fast window must not unlock a large scale-down); an upper bound only ever lowers it: at once when
 * the SLO itself was broken, by LOWER_WEIGHT of the gap between aim and target. A different revision
 * (image, model, resources, SLO; capacityRevision) starts from nothing: the capacity of the old one says
 * nothing certain about the new one.
 */

import { addToCurve, kneeOf, type CurvePoint } from './capacity-curve.js';

export interface CapacityEstimate {
  /** What the estimate was learnt on: ScalingPolicy.capacityRevision. */
  revision: string;
  /** Learnt in-flight turns per pod at the aim latency; null until the first usable window. */
  inflightPerPod: number | null;
  /** Usable windows learnt from since the revision started. */
  windows: number;
  updatedAt: number | null;
  /** The latency-vs-in-flight curve seen so far (capacity-curve.ts). */
  curve: CurvePoint[];
}

/**
 * One usable metrics window: the latency percentile over it, and the in-flight per pod over it, both as
 * its time average and as the highest of its scrape intervals. A percentile over a window whose load
 * varied is worse than the percentile at the average load (latency is convex in load), so a slow window is
 * judged at its peak and a fast one at its average: each bound is then the cautious one.
 */
export interface CapacityObservation {
  inflightPerPod: number;
  peakInflightPerPod: number;
  latencyMs: number;
}

export interface CapacityContext {
  revision: string;
  targetMs: number;
  /** Bounds of the estimate (see capacityBounds). */
  min: number;
  max: number;
  now: number;
}

/** Share of the latency target the learnt operating point aims for. */
export const AIM_SHARE = 0.85;
export const RAISE_WEIGHT = 0.5;
/** A window raises the estimate only when clearly faster than the aim (share of it): a dead band. */
export const RAISE_BELOW = 0.9;
export const MAX_RAISE_STEP = 1.5;
export const LOWER_WEIGHT = 0.5;
/**
 * The probe (see probeValue): a window within the aim whose Little bound reached PROBE_LOAD of the estimate
 * lets it rise by PROBE_STEP, never past PROBE_CEILING x that bound. The ceiling is just past the 10 %
 * default tolerance, so a probe step can move the fleet (and so be measured) without running far ahead of
 * what was measured: a fleet held at a whole number of pods that cannot pack tighter keeps the estimate
 * within 15 % of its measured bound (at 1.2 the cost-doubles trace, seed 7, scaled to 4 pods after its
 * panic and panicked again).
 */
export const PROBE_LOAD = 0.85;
export const PROBE_STEP = 1.05;
export const PROBE_CEILING = 1.15;

/** Bounds of the estimate: the default target (0.7 x maxInflight) is the most it may learn. */
export const MIN_LEARNT_INFLIGHT = 0.25;

export function emptyCapacity(revision: string): CapacityEstimate {
  return { revision, inflightPerPod: null, windows: 0, updatedAt: null, curve: [] };
}

/**
 * The in-flight the fleet's current load would have at the aim latency. By Little's law the same
 * throughput at a longer latency holds proportionally more turns in flight: a fleet running faster than
 * the aim (after a scale-up, at night) carries fewer turns than it will once packed to the learnt target,
 * and comparing its raw in-flight with that target would remove too many pods at once (most of all for
 * short turns, whose latency is mostly queueing). Never below the measured in-flight: a slow fleet is
 * sized on what it holds, and the latency signal and panic add the rest.
 */
export function demandAtAim(inflight: number, latencyMs: number | null, targetMs: number): number {
  if (latencyMs === null || latencyMs <= 0) return inflight;
  return inflight * Math.max(1, (AIM_SHARE * targetMs) / latencyMs);
}

/** The in-flight a window is judged at: its average when it was fast, its peak when it was slow. */
export function judgedInflight(o: CapacityObservation, aimMs: number): number {
  return o.latencyMs <= aimMs ? o.inflightPerPod : o.peakInflightPerPod;
}

/** The window's bound of the in-flight per pod at the aim latency (Little's law, see above). */
export function littleBound(o: CapacityObservation, aimMs: number): number {
  return (judgedInflight(o, aimMs) * aimMs) / o.latencyMs;
}

/**
 * Little's bound and the knee of the curve together. A knee between a fast and a slow bin was measured on
 * both sides and wins. An extrapolated one may only raise the Little estimate (which is a lower bound when
 * the fleet was fast); no knee at all leaves the Little estimate.
 */
function combine(little: number, curve: CurvePoint[], knee: number | null, aimMs: number): number {
  if (knee === null) return little;
  const bracketed = curve.some((p) => p.latencyMs > aimMs);
  return bracketed ? knee : Math.max(little, knee);
}

/**
 * Bounded upward exploration (the increase half of AIMD). Little's bound from one operating point assumes
 * throughput stops growing there, so a fleet whose load per pod never changes (steady traffic, a peak
 * held at the same per-pod load) keeps a cautious estimate for ever: the flash spike learnt 6.8 where a
 * load test gives 8. A window that ran near the estimate and still met the aim, even inside the raise dead
 * band, lets it rise a little; the fleet then packs to it and the next windows measure that load: each
 * step rests on a measured bound (PROBE_CEILING past it at most), and the first window over the aim takes
 * the estimate down again (the decrease half, in nextValue). Only while the curve shows no knee: once two
 * operating points are known the knee is measured (or extrapolated, capped), and probing past it on a
 * sharp knee broke the SLO on the cache-hits trace.
 */
function probeValue(current: number, measured: number): number {
  if (measured < PROBE_LOAD * current) return current;
  return Math.max(current, Math.min(current * PROBE_STEP, measured * PROBE_CEILING));
}

function nextValue(
  current: number | null,
  o: CapacityObservation,
  targetMs: number,
  curveKnown: boolean,
): number {
  const aimMs = AIM_SHARE * targetMs;
  const bound = littleBound(o, aimMs);
  if (current === null) return bound;
  if (o.latencyMs <= aimMs) {
    const probed = curveKnown ? current : probeValue(current, bound);
    if (bound <= current || o.latencyMs > RAISE_BELOW * aimMs) return probed;
    return Math.max(probed, Math.min(current + RAISE_WEIGHT * (bound - current), current * MAX_RAISE_STEP));
  }
  if (bound >= current) return current;
  if (o.latencyMs > targetMs) return bound;
  return current + LOWER_WEIGHT * (bound - current);
}

/** The estimate after one more window (null: nothing usable this evaluation). */
export function learnCapacity(
  estimate: CapacityEstimate | undefined,
  o: CapacityObservation | null,
  ctx: CapacityContext,
): CapacityEstimate {
  const current =
    estimate === undefined || estimate.revision !== ctx.revision ? emptyCapacity(ctx.revision) : estimate;
  if (o === null || !(o.inflightPerPod > 0) || !(o.latencyMs > 0)) return current;
  const aimMs = AIM_SHARE * ctx.targetMs;
  const curve = addToCurve(current.curve, judgedInflight(o, aimMs), o.latencyMs, aimMs, ctx.now);
  const knee = kneeOf(curve, aimMs);
  const value = combine(
    nextValue(current.inflightPerPod, o, ctx.targetMs, knee !== null),
    curve,
    knee,
    aimMs,
  );
  return {
    revision: ctx.revision,
    inflightPerPod: Math.min(ctx.max, Math.max(ctx.min, value)),
    windows: current.windows + 1,
    updatedAt: ctx.now,
    curve,
  };
}
