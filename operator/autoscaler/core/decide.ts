import { learntInflightPerPod, standingTarget } from './capacity-target.js';
import type { CapacityEstimate } from './capacity.js';
import { finalise } from './finalise.js';
import type { PanicState } from './panic.js';
import { applyFloor, emptyReadings, recommendFromSignals, type Candidate } from './recommend.js';
import { scheduleFloor } from './schedules.js';
import { trailingFailures } from './signals.js';
import type { AutoscalerState, Decision, DecisionInput, Mode, SignalReadings } from './types.js';

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
  extra: {
    mode: Mode;
    readings: SignalReadings;
    panic: PanicState;
    skipBehavior?: boolean;
    /** What the signals learnt this evaluation; absent: the state's values are kept. */
    learning?: { targetScale: number; capacity: CapacityEstimate | undefined };
  },
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
      inflightTargetScale: extra.learning?.targetScale ?? input.state.inflightTargetScale,
      capacity: extra.learning === undefined ? input.state.capacity : extra.learning.capacity,
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
 * (max of latency, in-flight; panic) -> schedule floors -> stabilization -> rate policies -> bounds.
 */
export function decide(input: DecisionInput): Decision {
  const { policy, history, now, currentReplicas, state } = input;
  const failures = trailingFailures(history);
  const floor = scheduleFloor(policy.schedules, now, policy.predictive.leadSeconds);
  const learnt = learntInflightPerPod(policy, state.capacity);
  const readings = emptyReadings(floor, failures, standingTarget(policy, state), learnt);
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
  return build(input, candidate, {
    mode,
    readings: recommended.readings,
    panic: recommended.panic,
    learning: { targetScale: recommended.targetScale, capacity: recommended.capacity },
  });
}
