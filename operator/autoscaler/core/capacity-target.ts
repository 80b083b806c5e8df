// The in-flight target of one evaluation: the configured one corrected from latency (target.ts) when
// spec.scaling.targetInflightPerPod is set, else the capacity learnt online (capacity.ts). Part of the
// pure core: see decide.ts.
import {
  learnCapacity,
  MIN_LEARNT_INFLIGHT,
  type CapacityEstimate,
  type CapacityObservation,
} from './capacity.js';
import { SATURATION_SHARE } from './panic.js';
import { currentDemand, samplesWithin } from './signals.js';
import { adaptTargetScale } from './target.js';
import type { AutoscalerState, DecisionInput, MetricSample, ScalingPolicy } from './types.js';

/** Fewer completed turns than this in the window: the percentile rests on too few turns to learn from. */
export const MIN_LEARNING_TURNS = 100;

export interface TargetChoice {
  /** The per-pod in-flight target of this evaluation. */
  target: number;
  /** Next AutoscalerState.inflightTargetScale (the latency correction of a configured target). */
  scale: number;
  /** Next AutoscalerState.capacity (undefined when the policy does not learn). */
  capacity: CapacityEstimate | undefined;
}

/** The learnt estimate when the policy learns and it belongs to the policy's revision. */
export function learntInflightPerPod(
  policy: ScalingPolicy,
  capacity: CapacityEstimate | undefined,
): number | null {
  if (!policy.learnCapacity || capacity?.revision !== policy.capacityRevision) return null;
  return capacity.inflightPerPod;
}

/** The samples of the policy's metrics window (one evaluation computes it once: recommend.ts). */
export function metricsWindow(input: DecisionInput): MetricSample[] {
  return samplesWithin(input.history, input.now, input.policy.metricsWindowSeconds);
}

/** The target while no new sample arrived (holding, fallback, paused). */
export function standingTarget(policy: ScalingPolicy, state: AutoscalerState): number {
  return (
    learntInflightPerPod(policy, state.capacity) ?? policy.targetInflightPerPod * state.inflightTargetScale
  );
}

/**
 * The window's usable capacity observation, or null. Time-averaged in-flight per pod (Little's law from the
 * duration histogram's `_sum`, never the noisy gauge) weighted by the time each sample covers, against the
 * window's percentile. Not in panic, and not when the pods run at the shed limit: shed turns never reach
 * the histogram, so the percentile of a shedding fleet describes only the turns it let in.
 */
export function capacityObservation(
  input: DecisionInput,
  window: MetricSample[] = metricsWindow(input),
): CapacityObservation | null {
  const { policy, history, state } = input;
  if (state.panicSince !== null) return null;
  const latest = window.at(-1);
  if (latest?.latencyMs == null || latest.turns < MIN_LEARNING_TURNS || latest.podsReporting <= 0)
    return null;
  const maxInflight = policy.maxInflightPerPod;
  if (maxInflight !== undefined && latest.inflight / latest.podsReporting >= SATURATION_SHARE * maxInflight)
    return null;
  const inflight = windowInflight(window, history);
  if (inflight.seconds < policy.metricsWindowSeconds / 2) return null;
  return { inflightPerPod: inflight.average, peakInflightPerPod: inflight.peak, latencyMs: latest.latencyMs };
}

/** Time-weighted average and highest per-pod concurrency of the window's scrape intervals. */
function windowInflight(
  window: MetricSample[],
  history: DecisionInput['history'],
): { average: number; peak: number; seconds: number } {
  let weighted = 0;
  let seconds = 0;
  let peak = 0;
  // The window is a subsequence of the history's samples in the same order: one pass over the history
  // finds each window sample with the sample before it (which may lie just outside the window).
  let next = 0;
  let previous: MetricSample | undefined;
  for (const s of history) {
    if (s.kind !== 'sample') continue;
    const inWindow = s === window[next];
    if (inWindow) next++;
    const before = previous;
    previous = s;
    if (!inWindow || typeof s.concurrency !== 'number' || s.podsReporting <= 0 || before === undefined)
      continue;
    const dt = (s.time - before.time) / 1000;
    const perPod = s.concurrency / s.podsReporting;
    weighted += perPod * dt;
    seconds += dt;
    peak = Math.max(peak, perPod);
  }
  return { average: seconds > 0 ? weighted / seconds : 0, peak, seconds };
}

/**
 * Pods were added at some point of the metrics window: part of the latency percentile describes a smaller
 * fleet than the one that followed, so it must not teach the configured target anything yet.
 */
function capacityGrew(window: MetricSample[]): boolean {
  return window.some((s, i) => i > 0 && s.podsReporting > (window[i - 1]?.podsReporting ?? Infinity));
}

/**
 * Per-pod load right after this scaler's last scale-down, if that happened inside the metrics window: the
 * demand measured before it, spread over the pods left. When latency breaks the SLO after a scale-down, it
 * is this load (not the queue-inflated in-flight read now) that the target allowed and the pods could not
 * take, so it is what teaches the target.
 */
function loadAfterScaleDown(input: DecisionInput): number | null {
  const { state, history, now, policy, currentReplicas } = input;
  const since = now - policy.metricsWindowSeconds * 1000;
  const down = state.scaleEvents.filter((e) => e.delta < 0 && e.time > since).at(-1);
  if (down === undefined || currentReplicas <= 0) return null;
  const before = history.filter((o): o is MetricSample => o.kind === 'sample' && o.time <= down.time);
  if (before.length === 0) return null;
  return currentDemand(before, down.time) / currentReplicas;
}

/** Next latency correction of the configured target (target.ts). */
function correctedScale(
  input: DecisionInput,
  window: MetricSample[],
  latest: MetricSample,
  stableInflight: number,
): number {
  const { policy, state } = input;
  const observed = latest.podsReporting > 0 ? stableInflight / latest.podsReporting : null;
  const afterDown = loadAfterScaleDown(input);
  return adaptTargetScale({
    scale: state.inflightTargetScale,
    latencyMs: latest.latencyMs,
    targetMs: input.slo.latency.targetMs,
    inflightPerPod: observed === null || afterDown === null ? observed : Math.min(observed, afterDown),
    configuredTarget: policy.targetInflightPerPod,
    tolerance: policy.tolerance,
    settled: state.panicSince === null && !capacityGrew(window),
  });
}

/** The target for this evaluation, and what the state remembers of it. `window`: metricsWindow(input). */
export function chooseTarget(
  input: DecisionInput,
  window: MetricSample[],
  latest: MetricSample,
  stableInflight: number,
): TargetChoice {
  const { policy, state } = input;
  const scale = correctedScale(input, window, latest, stableInflight);
  if (!policy.learnCapacity)
    return { target: policy.targetInflightPerPod * scale, scale, capacity: undefined };
  const capacity = learnCapacity(state.capacity, capacityObservation(input, window), {
    revision: policy.capacityRevision,
    targetMs: input.slo.latency.targetMs,
    min: MIN_LEARNT_INFLIGHT,
    max: policy.targetInflightPerPod,
    now: input.now,
  });
  // Until the first usable window the default and its latency correction act, as without learning.
  if (capacity.inflightPerPod === null)
    return { target: policy.targetInflightPerPod * scale, scale, capacity };
  return { target: capacity.inflightPerPod, scale: 1, capacity };
}
