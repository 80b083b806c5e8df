import { ConditionReason as R, ConditionType } from '../api/index.js';
import type { Condition } from './types.js';

export const REDIS_READY = ConditionType.RedisReady;
export const TOPICS_READY = ConditionType.TopicsReady;
/** Shared with the workload's own Degraded; the data plane only adds warnings (overlayCore keeps real problems first). */
export const DEGRADED = ConditionType.Degraded;

/** The reasons each data plane condition uses, from the API's one list (users and alerts match on them). */
export const RedisReason = {
  Ready: R.Ready,
  External: R.External,
  ExternalSecretInvalid: R.ExternalSecretInvalid,
  WaitingForPods: R.WaitingForPods,
  Bootstrapping: R.Bootstrapping,
  Rebalancing: R.Rebalancing,
  ClusterUnhealthy: R.ClusterUnhealthy,
  RedisUnavailable: R.RedisUnavailable,
  ShardDataLost: R.ShardDataLost,
  RollingUpdate: R.RollingUpdate,
  NoRedundancy: R.NoRedundancy,
} as const;

export const TopicsReason = {
  Ready: R.Ready,
  PartitionsBelowMaxReplicas: R.PartitionsBelowMaxReplicas,
  NotSupported: R.NotSupported,
  KafkaUnavailable: R.KafkaUnavailable,
  KafkaError: R.KafkaError,
  TopicNotOwned: R.TopicNotOwned,
  TopicConflict: R.TopicConflict,
  Deleting: R.Deleting,
} as const;

/** Builds a condition without lastTransitionTime: the caller's condition setter owns transitions. */
export function condition(type: string, ok: boolean, reason: string, message: string): Condition {
  return { type, status: ok ? 'True' : 'False', reason, message };
}
