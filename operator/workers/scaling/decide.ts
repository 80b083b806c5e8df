/**
 * decideWorkerReplicas: the worker pool's replica count from its Kafka consumer lag. PURE: no client,
 * no timers; the clock is `nowMs` and the memory is `state`, returned anew (the input is never mutated).
 *
 * The rules, in the order they are applied (KEDA's Kafka scaler semantics, with its known gaps closed):
 *
 * 1. Hostile numbers. The policy's fields are made finite and non-negative (maxReplicas >= minReplicas,
 *    targetLagPerReplica > 0, else 1); a broken current count reads as 0. A lag that is negative, NaN or
 *    infinite, or a partition count that is not a positive integer, is treated as unavailable
 *    (InvalidLagData): broken broker data is no data.
 * 2. No data (`unavailable`) keeps the current count, only brought inside [minReplicas, maxReplicas].
 *    It is never lag 0: it never scales down on its own, and it restarts the cooldown clock (lag
 *    unknown may be lag > 0), so scaling to zero needs cooldownSeconds of lag *seen* at 0.
 * 3. The lag's count: ceil(lag / targetLagPerReplica), clamped to [minReplicas, min(maxReplicas,
 *    partitions)] (more consumers than partitions sit idle, keda #1683); the partition cap never goes
 *    below minReplicas. Reason CappedAtPartitions (partitions < maxReplicas), CappedAtMaxReplicas,
 *    AtMinReplicas or LagWithinTarget.
 * 4. From zero (current 0, minReplicas 0): only a lag above activationLag starts workers, and it goes
 *    to the lag's count at once, without waiting for stabilization (ScaledFromZero): the first task must
 *    not wait a stabilization window. A lag at or below activationLag stays at zero.
 * 5. To zero (minReplicas 0, lag 0): only once the lag has been 0 for cooldownSeconds since lastActiveAt
 *    (CooledDownToZero). While cooling down the count may come down to 1, not below.
 * 6. A count outside [minReplicas, maxReplicas] (the spec changed) is corrected at once, to the lag's count.
 * 7. Otherwise at most one step per stabilizationSeconds since lastScaleAt, in either direction, since
 *    every step rebalances the consumer group (keda #2401): a step due earlier keeps the count
 *    (Stabilizing). A step may be of any size: a large lag goes to its count in one rebalance, not
 *    one rebalance per replica.
 *
 * State: lastActiveAt is the last time the group could not be shown idle (lag > 0, lag unknown, or the
 * first decision after an operator restart: a restart is never a reason to scale to zero). lastScaleAt is
 * set whenever the decided count differs from the current one; a fresh state allows a step at once.
 */
import { clamp, outsideSpecBounds, sanePolicy, saneReplicas, unusableLag, wantedReplicas } from './bounds.js';
import type { SanePolicy } from './bounds.js';
import type {
  LagObservation,
  WorkerScalingDecision,
  WorkerScalingPolicy,
  WorkerScalingReason,
  WorkerScalingState,
} from './types.js';

/** What the lag asks for before the stabilization gate. */
interface Target {
  replicas: number;
  reason: WorkerScalingReason;
  message: string;
  /** Not subject to stabilization (activation from zero, a spec-bound correction). */
  immediate: boolean;
}

export function decideWorkerReplicas(
  policy: WorkerScalingPolicy,
  currentReplicas: number,
  observation: LagObservation,
  state: WorkerScalingState,
  nowMs: number,
): WorkerScalingDecision {
  const p = sanePolicy(policy);
  const current = saneReplicas(currentReplicas);
  if (observation.kind === 'unavailable') return withoutLag(p, current, observation.reason, state, nowMs);
  const broken = unusableLag(observation);
  if (broken !== undefined) return withoutLag(p, current, `InvalidLagData: ${broken}`, state, nowMs);
  const { lag, partitions } = observation;
  const next: WorkerScalingState = {
    ...state,
    lastActiveAt: lag > 0 ? nowMs : (state.lastActiveAt ?? nowMs),
  };
  const target = targetFor(p, current, lag, partitions, next, nowMs);
  return gate(p, current, target, lag, { previous: state, next }, nowMs);
}

/** Rule 2: keep the count (within the spec's bounds), restart the cooldown clock. */
function withoutLag(
  p: SanePolicy,
  current: number,
  why: string,
  state: WorkerScalingState,
  nowMs: number,
): WorkerScalingDecision {
  const desired = clamp(current, p.minReplicas, p.maxReplicas);
  const lastScaleAt = desired !== current ? nowMs : state.lastScaleAt;
  return {
    desiredReplicas: desired,
    reason: 'LagUnavailable',
    message: `consumer lag unavailable (${why}): keeping ${desired} replicas, never read as lag 0`,
    state: { ...state, lastActiveAt: nowMs, ...(lastScaleAt !== undefined ? { lastScaleAt } : {}) },
  };
}

/** Rules 3 to 6: the count the lag asks for, and whether it may skip stabilization. */
function targetFor(
  p: SanePolicy,
  current: number,
  lag: number,
  partitions: number,
  next: WorkerScalingState,
  nowMs: number,
): Target {
  const wanted = wantedReplicas(p, lag, partitions);
  const base = `lag ${lag} over ${partitions} partitions, ${p.targetLagPerReplica} per replica`;
  if (current === 0 && p.minReplicas === 0) return fromZero(p, wanted.replicas, lag, base);
  const corrected = outsideSpecBounds(p, current);
  if (wanted.replicas === 0 && p.maxReplicas > 0) return towardZero(p, next, nowMs, corrected, base);
  const why = wanted.reason === 'LagWithinTarget' ? `wants ${wanted.raw}` : `wants ${wanted.raw}, bounded`;
  return {
    replicas: wanted.replicas,
    reason: wanted.reason,
    message: `${base}: ${why}`,
    immediate: corrected,
  };
}

/** Rule 4: activation. */
function fromZero(p: SanePolicy, wanted: number, lag: number, base: string): Target {
  if (lag > p.activationLag && wanted > 0) {
    const message = `${base}: above activationLag ${p.activationLag}, starting ${wanted} at once`;
    return { replicas: wanted, reason: 'ScaledFromZero', message, immediate: true };
  }
  const reason = p.maxReplicas === 0 ? 'CappedAtMaxReplicas' : 'AtMinReplicas';
  const message = `${base}: not above activationLag ${p.activationLag}, staying at zero`;
  return { replicas: 0, reason, message, immediate: true };
}

/** Rule 5: lag 0 with minReplicas 0; zero only after the cooldown, 1 meanwhile. */
function towardZero(
  p: SanePolicy,
  next: WorkerScalingState,
  nowMs: number,
  corrected: boolean,
  base: string,
): Target {
  const idleMs = nowMs - (next.lastActiveAt ?? nowMs);
  if (idleMs >= p.cooldownMs) {
    const message = `${base}: idle ${Math.round(idleMs / 1000)} s >= cooldown ${p.cooldownMs / 1000} s`;
    return { replicas: 0, reason: 'CooledDownToZero', message, immediate: corrected };
  }
  const leftSeconds = Math.ceil((p.cooldownMs - idleMs) / 1000);
  const message = `${base}: idle, to zero after the cooldown (in ${leftSeconds} s)`;
  return { replicas: 1, reason: 'LagWithinTarget', message, immediate: corrected };
}

/** Rule 7: at most one step per stabilization window, unless the target is immediate. */
function gate(
  p: SanePolicy,
  current: number,
  target: Target,
  lag: number,
  states: { previous: WorkerScalingState; next: WorkerScalingState },
  nowMs: number,
): WorkerScalingDecision {
  const { previous, next } = states;
  if (target.replicas === current) {
    return { desiredReplicas: current, reason: target.reason, message: target.message, lag, state: next };
  }
  const sinceStep = previous.lastScaleAt === undefined ? Infinity : nowMs - previous.lastScaleAt;
  if (!target.immediate && sinceStep < p.stabilizationMs) {
    const waitSeconds = Math.ceil((p.stabilizationMs - sinceStep) / 1000);
    const message = `${target.message}; step ${current} -> ${target.replicas} in ${waitSeconds} s (one rebalance per ${p.stabilizationMs / 1000} s)`;
    return { desiredReplicas: current, reason: 'Stabilizing', message, lag, state: next };
  }
  return {
    desiredReplicas: target.replicas,
    reason: target.reason,
    message: `${target.message}; ${current} -> ${target.replicas}`,
    lag,
    state: { ...next, lastScaleAt: nowMs },
  };
}
