/**
 * Types of the pure worker-scaling core (`decideWorkerReplicas` in ./decide.ts): Kafka consumer lag of
 * the fleet's worker group in, desired worker replicas out. Like the chat autoscaler's core
 * (operator/autoscaler/core) it is plain data with times in ms since the epoch and durations in seconds
 * (as in the CRD), so the operator keeps the state in memory per fleet and a restart only loses history.
 */

/** spec.workers, defaulted, narrowed to what the core reads. */
export interface WorkerScalingPolicy {
  minReplicas: number;
  maxReplicas: number;
  /** Desired replicas = ceil(lag / targetLagPerReplica), then capped. */
  targetLagPerReplica: number;
  /** From zero, scale up only when lag > activationLag (KEDA activationLagThreshold). */
  activationLag: number;
  /** Scale to minReplicas 0 only after the lag has been 0 for this long (KEDA cooldownPeriod). */
  cooldownSeconds: number;
  /** At most one scale step per this many seconds: each step rebalances the consumer group (keda #2401). */
  stabilizationSeconds: number;
}

/** One read of the group's lag through the Kafka admin API. "No data" is never lag 0. */
export type LagObservation =
  | {
      kind: 'lag';
      /** Sum over the topic's partitions of (end offset - committed offset); a partition never committed counts from its start offset. */
      lag: number;
      /** The tasks topic's partition count: consumers beyond it sit idle (keda #1683). */
      partitions: number;
      observedAt: number;
    }
  | { kind: 'unavailable'; reason: string; message: string; observedAt: number };

/** Carried between decisions by the caller; a fresh {} is valid (after an operator restart). */
export interface WorkerScalingState {
  /** When the replica count last changed. */
  lastScaleAt?: number;
  /** When lag was last seen above 0 (for the cooldown to zero). */
  lastActiveAt?: number;
}

export type WorkerScalingReason =
  | 'LagWithinTarget' // desired follows ceil(lag / target)
  | 'ScaledFromZero' // activation: first lag above activationLag
  | 'CooledDownToZero' // lag 0 for cooldownSeconds
  | 'Stabilizing' // a step is due but the last one was under stabilizationSeconds ago
  | 'CappedAtPartitions' // more replicas would sit idle
  | 'CappedAtMaxReplicas'
  | 'AtMinReplicas'
  | 'LagUnavailable'; // no data: keep the current count (never treat as lag 0)

export interface WorkerScalingDecision {
  desiredReplicas: number;
  reason: WorkerScalingReason;
  /** For status.workers.reason's neighbour message and Events; no tenant data beyond numbers. */
  message: string;
  /** The lag the decision used, absent when unavailable. */
  lag?: number;
  state: WorkerScalingState;
}
