import type { MetricObservation, MetricSample, ScalingPolicy, SloPolicy } from './types.js';

/** Samples no older than `seconds` before `now`; never empty when any sample exists (keeps the latest). */
export function samplesWithin(history: MetricObservation[], now: number, seconds: number): MetricSample[] {
  const samples = history.filter((o): o is MetricSample => o.kind === 'sample');
  const recent = samples.filter((s) => s.time > now - seconds * 1000 && s.time <= now);
  const latest = samples.at(-1);
  return recent.length > 0 || latest === undefined ? recent : [latest];
}

/** Failed or empty observations at the end of the history: the run that counts toward fallback. */
export function trailingFailures(history: MetricObservation[]): number {
  let count = 0;
  for (let i = history.length - 1; i >= 0 && history[i]?.kind !== 'sample'; i--) count++;
  return count;
}

export function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

/** 44/40 - 1 is 0.10000000000000009 in floating point; the band edge belongs to the band. */
const TOLERANCE_EPSILON = 1e-9;

/**
 * Current in-flight demand from the window's samples (time-averaged concurrency where known, else the
 * gauge). The plain mean of a rising load lags by half the
 * window (30 s of a 60 s window), which is as long as a pod takes to start; so on a rise the least-squares
 * line evaluated at `now` is used instead. It is never below the mean: a falling load keeps the mean, and the
 * scale-down window does the rest.
 */
export function currentDemand(window: MetricSample[], now: number): number {
  const withConcurrency = window.filter((s) => typeof s.concurrency === 'number');
  // Prefer the time-averaged concurrency; fall back to the gauge when no sample has it.
  const samples = withConcurrency.length > 0 ? withConcurrency : window;
  const value = (s: MetricSample): number => s.concurrency ?? s.inflight;
  const avg = mean(samples.map(value));
  if (samples.length < 3) return avg;
  const t = samples.map((s) => (s.time - now) / 1000);
  const tMean = mean(t);
  let num = 0;
  let den = 0;
  samples.forEach((s, i) => {
    const dt = (t[i] ?? 0) - tMean;
    num += dt * (value(s) - avg);
    den += dt * dt;
  });
  if (den === 0) return avg;
  const atNow = avg + (num / den) * (0 - tMean);
  return Math.max(avg, atNow);
}

export interface UtilisationReading {
  inflightPerPod: number;
  desired: number;
}

/**
 * HPA-style ratio on in-flight turns per pod. Within the tolerance band the count holds. Pods that did not
 * report count as idle when scaling up and as exactly on target when scaling down (HPA's conservative rule),
 * so a scrape that misses a pod never causes a scale-down by itself.
 */
export function utilisationDesired(
  totalInflight: number,
  podsReporting: number,
  readyReplicas: number,
  currentReplicas: number,
  policy: Pick<ScalingPolicy, 'targetInflightPerPod' | 'tolerance'>,
): UtilisationReading | null {
  if (podsReporting <= 0) return null;
  const target = policy.targetInflightPerPod;
  const inflightPerPod = totalInflight / podsReporting;
  const ratio = inflightPerPod / target;
  if (Math.abs(ratio - 1) <= policy.tolerance + TOLERANCE_EPSILON)
    return { inflightPerPod, desired: currentReplicas };
  const missing = Math.max(0, readyReplicas - podsReporting);
  const assumed = ratio > 1 ? totalInflight : totalInflight + missing * target;
  return { inflightPerPod, desired: Math.ceil(assumed / target) };
}

/** Largest multiplicative step the latency signal may ask for in one evaluation. */
export const MAX_LATENCY_STEP = 2;

/**
 * Latency is the SLO itself but a lagging, non-linear signal: near saturation a small overload makes the
 * percentile explode, and below the knee it barely moves with load. So the observed/target ratio is not a
 * capacity ratio. We use it only in the direction it is trustworthy:
 * - at or below target it has no vote (the in-flight signal sizes the fleet and decides scale-down);
 * - just above target (within tolerance) it votes to hold, which vetoes scale-down;
 * - clearly above target it asks for servedBy x sqrt(ratio), capped at x2 per evaluation, and never less
 *   than the current count. The square root damps the non-linearity; repeated evaluations act as an
 *   integral term that keeps adding capacity until the SLO is met. `servedBy` is the pods that made the
 *   percentile: the window's mean of pods reporting, at most the ready pods. Pods still starting are not
 *   in it, so the signal does not stack another step on top of them; nor are pods that became ready late
 *   in the window, whose few turns barely move a percentile the smaller fleet made (on the cost-doubles
 *   trace, multiplying the pods ready now took the fleet from 29 to 40 on a 60 s percentile that was
 *   still the overload's).
 */
export function latencyDesired(
  latencyMs: number | null,
  slo: SloPolicy,
  servedBy: number,
  currentReplicas: number,
  tolerance: number,
): number | null {
  if (latencyMs === null) return null;
  const ratio = latencyMs / slo.latency.targetMs;
  if (ratio <= 1) return null;
  if (ratio <= 1 + tolerance) return currentReplicas;
  const step = Math.min(Math.sqrt(ratio), MAX_LATENCY_STEP);
  return Math.max(currentReplicas, Math.ceil(Math.max(servedBy, 1) * step));
}
