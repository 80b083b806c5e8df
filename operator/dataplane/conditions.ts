import type { Condition } from './types.js';

export const REDIS_READY = 'RedisReady';
export const TOPICS_READY = 'TopicsReady';

/** Reasons are constants (API conventions): users and alerts match on them. */
export const RedisReason = {
  Ready: 'Ready',
  External: 'External',
  ExternalSecretInvalid: 'ExternalSecretInvalid',
  WaitingForPods: 'WaitingForPods',
  Bootstrapping: 'Bootstrapping',
  Rebalancing: 'Rebalancing',
  ClusterUnhealthy: 'ClusterUnhealthy',
  RedisUnavailable: 'RedisUnavailable',
} as const;

export const TopicsReason = {
  Ready: 'Ready',
  PartitionsBelowMaxReplicas: 'PartitionsBelowMaxReplicas',
  NotSupported: 'NotSupported',
  KafkaUnavailable: 'KafkaUnavailable',
  KafkaError: 'KafkaError',
  Deleting: 'Deleting',
} as const;

/** Builds a condition without lastTransitionTime: the caller's condition setter owns transitions. */
export function condition(type: string, ok: boolean, reason: string, message: string): Condition {
  return { type, status: ok ? 'True' : 'False', reason, message };
}
