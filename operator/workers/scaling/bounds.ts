/**
 * Input hygiene and bounds for decideWorkerReplicas (./decide.ts). PURE.
 *
 * The policy is CRD-validated, the lag comes from a broker and the replica count from a Deployment: none
 * of them is trusted to be a sane number here, because a NaN that slipped through would otherwise become
 * a replica count (NaN compares false with everything, so no clamp would catch it).
 */
import type { LagObservation, WorkerScalingPolicy, WorkerScalingReason } from './types.js';

/** The policy with every field a finite, non-negative number the rules can rely on. */
export interface SanePolicy {
  minReplicas: number;
  /** >= minReplicas. */
  maxReplicas: number;
  /** > 0. */
  targetLagPerReplica: number;
  activationLag: number;
  cooldownMs: number;
  stabilizationMs: number;
}

function nonNegative(value: number, fallback: number): number {
  return Number.isFinite(value) && value >= 0 ? value : fallback;
}

function count(value: number): number {
  return Math.floor(nonNegative(value, 0));
}

export function sanePolicy(policy: WorkerScalingPolicy): SanePolicy {
  const minReplicas = count(policy.minReplicas);
  const target = policy.targetLagPerReplica;
  return {
    minReplicas,
    maxReplicas: Math.max(minReplicas, count(policy.maxReplicas)),
    // A zero or broken target would divide by zero; 1 task per replica is the most cautious reading.
    targetLagPerReplica: Number.isFinite(target) && target > 0 ? target : 1,
    activationLag: nonNegative(policy.activationLag, 0),
    cooldownMs: nonNegative(policy.cooldownSeconds, 0) * 1000,
    stabilizationMs: nonNegative(policy.stabilizationSeconds, 0) * 1000,
  };
}

/** A replica count from the cluster: a broken one reads as 0 (nothing runs that we can count on). */
export function saneReplicas(replicas: number): number {
  return count(replicas);
}

export type UsableLag = Extract<LagObservation, { kind: 'lag' }>;

/** Why a 'lag' observation cannot be used, or undefined when it can. */
export function unusableLag(observation: UsableLag): string | undefined {
  const { lag, partitions } = observation;
  if (!Number.isFinite(lag) || lag < 0) return `lag ${String(lag)} is not a finite non-negative number`;
  if (!Number.isSafeInteger(partitions) || partitions < 1) {
    return `partition count ${String(partitions)} is not a positive integer`;
  }
  return undefined;
}

export function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high);
}

/** The replicas the lag asks for, within [min, min(max, partitions)], and which bound (if any) decided. */
export interface Wanted {
  replicas: number;
  /** ceil(lag / target) before any bound. */
  raw: number;
  reason: Extract<
    WorkerScalingReason,
    'LagWithinTarget' | 'CappedAtPartitions' | 'CappedAtMaxReplicas' | 'AtMinReplicas'
  >;
}

/**
 * ceil(lag / targetLagPerReplica), clamped. The partition cap never goes below minReplicas: the user's
 * floor wins over idle consumers (they are the user's to pay for). The cap is named CappedAtPartitions
 * whenever the partitions are below maxReplicas; at equal counts the user's own limit is named.
 */
export function wantedReplicas(policy: SanePolicy, lag: number, partitions: number): Wanted {
  const raw = Math.ceil(lag / policy.targetLagPerReplica);
  const high = Math.max(policy.minReplicas, Math.min(policy.maxReplicas, partitions));
  if (raw > high) {
    const reason = partitions < policy.maxReplicas ? 'CappedAtPartitions' : 'CappedAtMaxReplicas';
    return { replicas: high, raw, reason };
  }
  if (raw < policy.minReplicas) return { replicas: policy.minReplicas, raw, reason: 'AtMinReplicas' };
  return { replicas: raw, raw, reason: 'LagWithinTarget' };
}

/** The count is outside [minReplicas, maxReplicas]: the spec changed, and that is followed at once. */
export function outsideSpecBounds(policy: SanePolicy, replicas: number): boolean {
  return replicas < policy.minReplicas || replicas > policy.maxReplicas;
}
