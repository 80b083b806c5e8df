import { limitRate, pruneBefore, stabilize, type Bounded } from './behavior.js';
import { nextPanicState, panicDemandRatio, panicDesired, type PanicState } from './panic.js';
import { scheduleFloor, type ScheduleFloor } from './schedules.js';
import { adaptTargetScale } from './target.js';
import {
  currentDemand,
  kafkaLagDesired,
  latencyDesired,
  mean,
  samplesWithin,
  trailingFailures,
  utilisationDesired,
} from './signals.js';
import type {
  AutoscalerState,
  Decision,
  DecisionInput,
  LimitedBy,
  MetricSample,
  Mode,
  Signal,
  SignalReadings,
} from './types.js';

/**
 * State for a fleet this scaler has not seen (first evaluation, or after an operator restart). The current
 * count is recorded as if it had just been recommended, so the scale-down window must pass in full before
 * a restarted operator removes pods: a restart is never a reason to scale down.
 */
export function initialState(currentReplicas: number, now: number): AutoscalerState {
  return {
    recommendations: [{ time: now, replicas: currentReplicas }],
    scaleEvents: [],
    panicSince: null,
    lastPanicTrigger: null,
    panicHighWater: 0,
    lastScaleTime: null,
    inflightTargetScale: 1,
  };
}

interface Candidate {
  signal: Signal;
  replicas: number;
  reason: string;
}

interface Recommended {
  candidate: Candidate;
  readings: SignalReadings;
  panic: PanicState;
}

function emptyReadings(floor: ScheduleFloor, consecutiveFailures: number, target: number): SignalReadings {
  return {
    effectiveTargetInflightPerPod: target,
    latencyMs: null,
    latencyDesired: null,
    inflightPerPod: null,
    inflightDesired: null,
    panicDemandRatio: null,
    panicDesired: null,
    kafkaLagDesired: null,
    scheduleFloor: floor.replicas,
    consecutiveFailures,
  };
}

/** The largest signal wins; ties keep the earlier (more fundamental) signal in this list. */
function pickLargest(candidates: Candidate[], fallback: Candidate): Candidate {
  return candidates.reduce((best, c) => (c.replicas > best.replicas ? c : best), fallback);
}

function signalCandidates(input: DecisionInput, latest: MetricSample, readings: SignalReadings): Candidate[] {
  const { policy, slo } = input;
  const out: Candidate[] = [];
  const pct = slo.latency.percentile;
  if (readings.latencyDesired !== null) {
    const reason = `p${pct} latency ${Math.round(latest.latencyMs ?? 0)}ms vs target ${slo.latency.targetMs}ms`;
    out.push({ signal: 'latency', replicas: readings.latencyDesired, reason });
  }
  if (readings.inflightDesired !== null) {
    const perPod = (readings.inflightPerPod ?? 0).toFixed(1);
    const target = readings.effectiveTargetInflightPerPod;
    const learnt =
      target < policy.targetInflightPerPod
        ? ` (learnt from latency, configured ${policy.targetInflightPerPod})`
        : '';
    const reason = `in-flight ${perPod}/pod vs target ${Math.round(target * 100) / 100}/pod${learnt}`;
    out.push({ signal: 'inflight', replicas: readings.inflightDesired, reason });
  }
  if (readings.kafkaLagDesired !== null) {
    const reason = `kafka lag ${latest.kafkaLag ?? 0} vs target ${policy.workerLag?.targetLagPerReplica}/replica`;
    out.push({ signal: 'kafkaLag', replicas: readings.kafkaLagDesired, reason });
  }
  return out;
}

function readSignals(
  input: DecisionInput,
  floor: ScheduleFloor,
): { readings: SignalReadings; latest: MetricSample } {
  const { policy, history, now, readyReplicas, currentReplicas } = input;
  const window = samplesWithin(history, now, policy.metricsWindowSeconds);
  const panicWindow = samplesWithin(history, now, policy.panic.windowSeconds);
  const latest = window.at(-1) as MetricSample;
  const stableInflight = currentDemand(window, now);
  const panicInflight = mean(panicWindow.map((s) => s.inflight));
  const reporting = latest.podsReporting > 0;
  const target = learntTarget(input, latest, stableInflight);
  const targetPolicy = { targetInflightPerPod: target, tolerance: policy.tolerance };
  const utilisation = utilisationDesired(
    stableInflight,
    latest.podsReporting,
    readyReplicas,
    currentReplicas,
    targetPolicy,
  );
  const readings: SignalReadings = {
    ...emptyReadings(floor, 0, target),
    latencyMs: latest.latencyMs,
    latencyDesired: latencyDesired(
      latest.latencyMs,
      input.slo,
      readyReplicas,
      currentReplicas,
      policy.tolerance,
    ),
    inflightPerPod: utilisation?.inflightPerPod ?? null,
    inflightDesired: utilisation?.desired ?? null,
    panicDemandRatio: reporting ? panicDemandRatio(panicInflight, readyReplicas, target) : null,
    panicDesired: reporting
      ? panicDesired(panicInflight, readyReplicas, target, policy.maxInflightPerPod)
      : null,
    kafkaLagDesired: kafkaLagDesired(latest.kafkaLag, policy.workerLag),
  };
  return { readings, latest };
}

/**
 * Pods were added at some point of the metrics window: part of the latency percentile describes a smaller
 * fleet than the one that followed, so it must not teach the target anything yet. Pods removed is fine:
 * the percentile then only gets more pessimistic for the fleet as it is now.
 */
function capacityGrew(input: DecisionInput): boolean {
  const window = samplesWithin(input.history, input.now, input.policy.metricsWindowSeconds);
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

/** Next learnt scale of targetInflightPerPod; returns the effective target for this evaluation. */
function learntTarget(input: DecisionInput, latest: MetricSample, stableInflight: number): number {
  const { policy, state } = input;
  const observed = latest.podsReporting > 0 ? stableInflight / latest.podsReporting : null;
  const afterDown = loadAfterScaleDown(input);
  const scale = adaptTargetScale({
    scale: state.inflightTargetScale,
    latencyMs: latest.latencyMs,
    targetMs: input.slo.latency.targetMs,
    inflightPerPod: observed === null || afterDown === null ? observed : Math.min(observed, afterDown),
    configuredTarget: policy.targetInflightPerPod,
    tolerance: policy.tolerance,
    settled: state.panicSince === null && !capacityGrew(input),
  });
  return policy.targetInflightPerPod * scale;
}

function recommendFromSignals(input: DecisionInput, floor: ScheduleFloor): Recommended {
  const { policy, state, now, currentReplicas } = input;
  const { readings, latest } = readSignals(input, floor);
  const panic = nextPanicState(state, {
    demandRatio: readings.panicDemandRatio,
    threshold: policy.panic.threshold,
    stableWindowSeconds: policy.metricsWindowSeconds,
    now,
  });
  const hold: Candidate = {
    signal: 'none',
    replicas: currentReplicas,
    reason: 'all signals within tolerance',
  };
  const candidates = signalCandidates(input, latest, readings);
  if (panic.panicSince === null) {
    const best =
      candidates.length === 0 ? hold : pickLargest(candidates.slice(1), candidates[0] as Candidate);
    return { candidate: best, readings, panic };
  }
  const ratio = (readings.panicDemandRatio ?? 0).toFixed(1);
  const panicReason = `panic: short-window demand ${ratio}x ready capacity`;
  candidates.push({ signal: 'panic', replicas: readings.panicDesired ?? 0, reason: panicReason });
  // Panic never scales down: hold at least the current count and the highest panic recommendation.
  const floorInPanic = Math.max(currentReplicas, panic.panicHighWater);
  const best = pickLargest(candidates, { signal: 'panic', replicas: floorInPanic, reason: panicReason });
  return { candidate: best, readings, panic: { ...panic, panicHighWater: best.replicas } };
}

function applyFloor(candidate: Candidate, floor: ScheduleFloor): Candidate {
  if (floor.replicas <= candidate.replicas) return candidate;
  return { signal: 'schedule', replicas: floor.replicas, reason: `schedule ${floor.active.join(',')} floor` };
}

interface FinaliseOptions {
  skipBehavior: boolean;
  panic: boolean;
}

interface Finalised {
  desiredReplicas: number;
  limitedBy?: LimitedBy | undefined;
  state: Pick<AutoscalerState, 'recommendations' | 'scaleEvents' | 'lastScaleTime'>;
}

function retentionCutoff(input: DecisionInput): number {
  const { scaleUp, scaleDown } = input.policy.behavior;
  const periods = [...scaleUp.policies, ...scaleDown.policies].map((p) => p.periodSeconds);
  const longest = Math.max(
    scaleUp.stabilizationWindowSeconds,
    scaleDown.stabilizationWindowSeconds,
    ...periods,
  );
  return input.now - longest * 1000;
}

/**
 * Panic scale-up is not rate limited (Knative allows up to 1000x ready per step): the count is sized from
 * short-window demand and only bounded by maxReplicas. A scale-up policy set to Disabled is still honoured.
 */
function panicScaleUp(input: DecisionInput, raw: number): Bounded | null {
  const { policy, currentReplicas } = input;
  if (raw <= currentReplicas || policy.behavior.scaleUp.selectPolicy === 'Disabled') return null;
  return clampOnly(raw, policy.minReplicas, policy.maxReplicas);
}

/** Stabilization windows, rate policies and bounds, in HPA v2 order (panic scale-up skips the rates). */
function limitRecommendation(input: DecisionInput, raw: number, opts: FinaliseOptions): Bounded {
  const { policy, state, now, currentReplicas } = input;
  if (opts.skipBehavior) return clampOnly(raw, policy.minReplicas, policy.maxReplicas);
  const inPanic = opts.panic ? panicScaleUp(input, raw) : null;
  if (inPanic !== null) return inPanic;
  const { scaleUp, scaleDown } = policy.behavior;
  const previous = pruneBefore(state.recommendations, retentionCutoff(input));
  return limitRate({
    desired: stabilize(previous, raw, currentReplicas, now, scaleUp, scaleDown),
    current: currentReplicas,
    min: policy.minReplicas,
    max: policy.maxReplicas,
    events: state.scaleEvents,
    now,
    up: scaleUp,
    down: scaleDown,
  });
}

/** At a bound because the signals asked for more (or less): ScalingLimited, even if the window held it. */
function markBound(limited: Bounded, raw: number, policy: DecisionInput['policy']): Bounded {
  if (limited.limitedBy !== undefined) return limited;
  if (limited.replicas === policy.minReplicas && raw < policy.minReplicas)
    return { ...limited, limitedBy: 'min' };
  if (limited.replicas === policy.maxReplicas && raw > policy.maxReplicas)
    return { ...limited, limitedBy: 'max' };
  return limited;
}

function finalise(input: DecisionInput, raw: number, opts: FinaliseOptions): Finalised {
  const { policy, state, now, currentReplicas } = input;
  const cutoff = retentionCutoff(input);
  const previous = pruneBefore(state.recommendations, cutoff);
  const recommendations = [...previous, { time: now, replicas: raw }];
  const limited = markBound(limitRecommendation(input, raw, opts), raw, policy);
  const scaleEvents = pruneBefore(state.scaleEvents, cutoff);
  const changed = limited.replicas !== currentReplicas;
  if (changed) scaleEvents.push({ time: now, delta: limited.replicas - currentReplicas });
  return {
    desiredReplicas: limited.replicas,
    limitedBy: limited.limitedBy,
    state: { recommendations, scaleEvents, lastScaleTime: changed ? now : state.lastScaleTime },
  };
}

function clampOnly(replicas: number, min: number, max: number): Bounded {
  if (replicas > max) return { replicas: max, limitedBy: 'max' };
  if (replicas < min) return { replicas: min, limitedBy: 'min' };
  return { replicas };
}

function fallbackTarget(input: DecisionInput): number {
  const { behavior, replicas } = input.policy.fallback;
  const current = input.currentReplicas;
  if (behavior === 'currentReplicas') return current;
  if (behavior === 'static') return replicas ?? current;
  return Math.max(current, replicas ?? current);
}

function build(
  input: DecisionInput,
  candidate: Candidate,
  extra: { mode: Mode; readings: SignalReadings; panic: PanicState; skipBehavior?: boolean },
): Decision {
  const done = finalise(input, candidate.replicas, {
    skipBehavior: extra.skipBehavior === true,
    panic: extra.mode === 'panic',
  });
  return {
    desiredReplicas: done.desiredReplicas,
    mode: extra.mode,
    reason: candidate.reason,
    signal: candidate.signal,
    limitedBy: done.limitedBy,
    rawRecommendation: candidate.replicas,
    readings: extra.readings,
    nextState: {
      ...input.state,
      ...done.state,
      // Only the panic fields: callers may pass a whole AutoscalerState as `panic`.
      panicSince: extra.panic.panicSince,
      lastPanicTrigger: extra.panic.lastPanicTrigger,
      panicHighWater: extra.panic.panicHighWater,
      inflightTargetScale: extra.readings.effectiveTargetInflightPerPod / input.policy.targetInflightPerPod,
    },
  };
}

function missingDataReason(history: DecisionInput['history']): string {
  const last = history.at(-1);
  if (last === undefined) return 'no metrics yet';
  if (last.kind === 'failure') return last.error;
  if (last.kind === 'noData') return last.reason;
  return 'no sample';
}

/** Paused holds the count and leaves the state untouched, so resuming continues where it stopped. */
function pausedDecision(input: DecisionInput, readings: SignalReadings): Decision {
  return {
    desiredReplicas: input.currentReplicas,
    mode: 'stable',
    reason: 'scaling paused',
    signal: 'none',
    rawRecommendation: input.currentReplicas,
    readings,
    nextState: input.state,
  };
}

const CALM: PanicState = { panicSince: null, lastPanicTrigger: null, panicHighWater: 0 };

/**
 * The autoscaling decision: a pure function of (policy, SLO, replicas, metric history, state, clock).
 * Order: paused -> fallback (N consecutive failed/empty fetches) -> hold on missing data -> signals
 * (max of latency, in-flight, lag; panic) -> schedule floors -> stabilization -> rate policies -> bounds.
 */
export function decide(input: DecisionInput): Decision {
  const { policy, history, now, currentReplicas, state } = input;
  const failures = trailingFailures(history);
  const floor = scheduleFloor(policy.schedules, now, policy.predictive.leadSeconds);
  const readings = emptyReadings(floor, failures, policy.targetInflightPerPod * state.inflightTargetScale);
  if (policy.paused) return pausedDecision(input, readings);
  if (failures >= policy.fallback.failureThreshold) {
    const reason = `fallback (${policy.fallback.behavior}) after ${failures} failed metric fetches`;
    const candidate = applyFloor({ signal: 'fallback', replicas: fallbackTarget(input), reason }, floor);
    return build(input, candidate, { mode: 'fallback', readings, panic: CALM, skipBehavior: true });
  }
  const hasSample = history.some((o) => o.kind === 'sample');
  if (failures > 0 || !hasSample) {
    const reason = `holding, no data: ${missingDataReason(history)}`;
    const candidate = applyFloor({ signal: 'none', replicas: currentReplicas, reason }, floor);
    const mode: Mode = state.panicSince === null ? 'stable' : 'panic';
    return build(input, candidate, { mode, readings, panic: state });
  }
  const recommended = recommendFromSignals(input, floor);
  const candidate = applyFloor(recommended.candidate, floor);
  const mode: Mode = recommended.panic.panicSince === null ? 'stable' : 'panic';
  return build(input, candidate, { mode, readings: recommended.readings, panic: recommended.panic });
}
