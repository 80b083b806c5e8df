// The recommendation from the live signals (latency, in-flight, panic) and the schedule floor,
// before stabilization and rate limits (finalise.ts). Part of the pure core: see decide.ts.
import { nextPanicState, panicDemandRatio, panicDesired, type PanicState } from './panic.js';
import type { ScheduleFloor } from './schedules.js';
import { chooseTarget, metricsWindow } from './capacity-target.js';
import { demandAtAim, type CapacityEstimate } from './capacity.js';
import { currentDemand, latencyDesired, mean, samplesWithin, utilisationDesired } from './signals.js';
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
  /** Next inflightTargetScale and capacity of the state (capacity-target.ts). */
  targetScale: number;
  capacity: CapacityEstimate | undefined;
}

export function emptyReadings(
  floor: ScheduleFloor,
  consecutiveFailures: number,
  target: number,
  learnt: number | null = null,
): SignalReadings {
  return {
    effectiveTargetInflightPerPod: target,
    latencyMs: null,
    latencyDesired: null,
    inflightPerPod: null,
    inflightDesired: null,
    panicDemandRatio: null,
    panicDesired: null,
    learntInflightPerPod: learnt,
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
    const learnt = targetOrigin(policy.targetInflightPerPod, readings);
    const reason = `in-flight ${perPod}/pod vs target ${Math.round(target * 100) / 100}/pod${learnt}`;
    out.push({ signal: 'inflight', replicas: readings.inflightDesired, reason });
  }
  return out;
}

/** Where the in-flight target came from, for the reason (status.autoscaling.reason and the Event). */
function targetOrigin(configured: number, readings: SignalReadings): string {
  if (readings.learntInflightPerPod !== null) return ' (learnt capacity at the SLO)';
  if (readings.effectiveTargetInflightPerPod < configured)
    return ` (learnt from latency, configured ${configured})`;
  return '';
}

interface Read {
  readings: SignalReadings;
  latest: MetricSample;
  targetScale: number;
  capacity: CapacityEstimate | undefined;
}

/** The pods that made the window's percentile: its mean of pods reporting, at most those ready now. */
function servedBy(window: MetricSample[], readyReplicas: number): number {
  return Math.min(readyReplicas, mean(window.map((s) => s.podsReporting)));
}

function readSignals(input: DecisionInput, floor: ScheduleFloor): Read {
  const { policy, history, now, readyReplicas, currentReplicas } = input;
  const window = metricsWindow(input);
  const panicWindow = samplesWithin(history, now, policy.panic.windowSeconds);
  const latest = window.at(-1) as MetricSample;
  const stableInflight = currentDemand(window, now);
  const panicInflight = mean(panicWindow.map((s) => s.inflight));
  const reporting = latest.podsReporting > 0;
  const choice = chooseTarget(input, window, latest, stableInflight);
  const target = choice.target;
  const learnt = choice.capacity?.inflightPerPod ?? null;
  const targetPolicy = { targetInflightPerPod: target, tolerance: policy.tolerance };
  // A learnt target is an in-flight at the aim latency: demand is compared with it at that latency too.
  const demand =
    learnt === null
      ? stableInflight
      : demandAtAim(stableInflight, latest.latencyMs, input.slo.latency.targetMs);
  const utilisation = utilisationDesired(
    demand,
    latest.podsReporting,
    readyReplicas,
    currentReplicas,
    targetPolicy,
  );
  const readings: SignalReadings = {
    ...emptyReadings(floor, 0, target, learnt),
    latencyMs: latest.latencyMs,
    latencyDesired: latencyDesired(
      latest.latencyMs,
      input.slo,
      servedBy(window, readyReplicas),
      currentReplicas,
      policy.tolerance,
    ),
    inflightPerPod: reporting ? stableInflight / latest.podsReporting : null,
    inflightDesired: utilisation?.desired ?? null,
    panicDemandRatio: reporting ? panicDemandRatio(panicInflight, readyReplicas, target) : null,
    panicDesired: reporting
      ? panicDesired(panicInflight, readyReplicas, target, policy.maxInflightPerPod)
      : null,
  };
  return { readings, latest, targetScale: choice.scale, capacity: choice.capacity };
}

export function recommendFromSignals(input: DecisionInput, floor: ScheduleFloor): Recommended {
  const { policy, state, now, currentReplicas } = input;
  const { readings, latest, targetScale, capacity } = readSignals(input, floor);
  const learning = { targetScale, capacity };
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
    return { candidate: best, readings, panic, ...learning };
  }
  const ratio = (readings.panicDemandRatio ?? 0).toFixed(1);
  const panicReason = `panic: short-window demand ${ratio}x ready capacity`;
  candidates.push({ signal: 'panic', replicas: readings.panicDesired ?? 0, reason: panicReason });
  // Panic never scales down: hold at least the current count and the highest panic recommendation.
  const floorInPanic = Math.max(currentReplicas, panic.panicHighWater);
  const best = pickLargest(candidates, { signal: 'panic', replicas: floorInPanic, reason: panicReason });
  return { candidate: best, readings, panic: { ...panic, panicHighWater: best.replicas }, ...learning };
}

export function applyFloor(candidate: Candidate, floor: ScheduleFloor): Candidate {
  if (floor.replicas <= candidate.replicas) return candidate;
  return { signal: 'schedule', replicas: floor.replicas, reason: `schedule ${floor.active.join(',')} floor` };
}
