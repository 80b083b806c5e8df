// The recommendation from the live signals (latency, in-flight, Kafka lag, panic) and the schedule floor,
// before stabilization and rate limits (finalise.ts). Part of the pure core: see decide.ts.
import { nextPanicState, panicDemandRatio, panicDesired, type PanicState } from './panic.js';
import type { ScheduleFloor } from './schedules.js';
import { adaptTargetScale } from './target.js';
import {
  currentDemand,
  kafkaLagDesired,
  latencyDesired,
  mean,
  samplesWithin,
  utilisationDesired,
} from './signals.js';
import type { DecisionInput, MetricSample, Signal, SignalReadings } from './types.js';

export interface Candidate {
  signal: Signal;
  replicas: number;
  reason: string;
}

interface Recommended {
  candidate: Candidate;
  readings: SignalReadings;
  panic: PanicState;
}

export function emptyReadings(
  floor: ScheduleFloor,
  consecutiveFailures: number,
  target: number,
): SignalReadings {
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

export function recommendFromSignals(input: DecisionInput, floor: ScheduleFloor): Recommended {
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

export function applyFloor(candidate: Candidate, floor: ScheduleFloor): Candidate {
  if (floor.replicas <= candidate.replicas) return candidate;
  return { signal: 'schedule', replicas: floor.replicas, reason: `schedule ${floor.active.join(',')} floor` };
}
