/**
 * Types of the pure worker-scaling core (`decideWorkerReplicas` in ./decide.ts): Kafka consumer lag of
 * the fleet's worker group in, desired worker replicas out. Like the chat autoscaler's core
 * (operator/autoscaler/core) it is plain data with times in ms since the epoch and durations in seconds
 * (as in the CRD), so the operator keeps the state in memory per fleet and a restart only loses history.
 */
import type { WorkersSpec } from '../../api/generated/chatbotdeployment.js';

/**
 * spec.workers (the generated CRD type, defaulted), narrowed to what the core reads; the fields'
 * meaning is documented on the CRD: desired = ceil(lag / targetLagPerReplica) within [min, max];
 * from zero only when lag > activationLag; to zero after cooldownSeconds of lag 0; at most one step
 * per stabilizationSeconds (each step rebalances the consumer group, keda #2401).
 */
export type WorkerScalingPolicy = Pick<
  WorkersSpec,
  | 'minReplicas'
  | 'maxReplicas'
  | 'targetLagPerReplica'
  | 'activationLag'
  | 'cooldownSeconds'
  | 'stabilizationSeconds'
>;

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
