/**
 * Types of the data plane. The ChatbotDeployment and its parts are the GENERATED API types
 * (operator/api/generated/chatbotdeployment.ts), in their defaulted shape: the reconciler applies the
 * CRD's defaults once (withDefaults, operator/api/defaults.ts), so the data plane reads
 * `cbd.spec.sessions.redis.mode` and the like without re-applying defaults of its own.
 * What is declared here is internal to the data plane and never written to the CR as is.
 */
import type { KafkaTopicSpec } from '../api/index.js';

export type {
  ChatbotDeployment,
  KafkaSpec,
  KafkaTopicSpec,
  RedisPlacementSpec,
  RedisResources,
  RedisShardStatus,
  RedisSpec,
  TopicStatus,
} from '../api/index.js';
export type { OwnerReference } from '../workload/types.js';

export type TopicPurpose = NonNullable<KafkaTopicSpec['purpose']>;

/**
 * A condition as the data plane builds it: without lastTransitionTime and observedGeneration, which
 * the reconciler's condition setter owns (it keeps lastTransitionTime while the status is unchanged).
 */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

/**
 * One shard as the Redis Cluster logic observes it (CLUSTER NODES). Internal: it is never written
 * to the CR; toShardStatus maps it to the CRD's status.redis.shards shape.
 */
export interface ClusterShardState {
  shard: number;
  primary?: string;
  replicas: string[];
  slots: number;
  slotRanges: string[];
  linkState: 'connected' | 'disconnected' | 'unknown';
  /** The primary's used_memory and maxmemory (redis/memory.ts), when they were read. */
  memory?: { usedBytes: number; maxBytes: number };
}
