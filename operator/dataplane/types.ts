/**
 * The slice of a ChatbotDeployment the data plane reads, shaped exactly like CONTRACT.md
 * (`spec.sessions.redis`, `spec.messaging.kafka`, `spec.scaling.maxReplicas`, `status`).
 *
 * These are deliberately local, minimal interfaces: the generated API types (operator/api/) are
 * owned by another module and structurally satisfy these, so the reconciler can pass its CR
 * object straight in. Fields are optional where the CRD defaults them; defaults are re-applied
 * here (see ./defaults.ts) so the data plane also works on an object the API server has not
 * defaulted yet (e.g. in unit tests).
 */

export interface SecretRef {
  name: string;
}

export interface RedisStorageSpec {
  size: string;
  storageClassName?: string;
}

export interface ResourceRequirements {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  tolerationSeconds?: number;
}

/** Node constraints of the Redis pods: spec.sessions.redis.placement. */
export interface PodPlacement {
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
}

export type RedisMode = 'managed' | 'external';
export type RedisTopology = 'standalone' | 'cluster';

export interface RedisSpec {
  mode?: RedisMode;
  topology?: RedisTopology;
  shards?: number;
  replicasPerShard?: number;
  image?: string;
  resources?: ResourceRequirements;
  storage?: RedisStorageSpec;
  placement?: PodPlacement;
  secretRef?: SecretRef;
}

export type TopicPurpose = 'events' | 'tasks';
export type DeletionPolicy = 'Retain' | 'Delete';

export interface KafkaTopicSpec {
  name: string;
  partitions?: number;
  replicationFactor?: number;
  config?: Record<string, string>;
  purpose?: TopicPurpose;
  /**
   * Manage a topic that already exists on the broker although this CR did not create it. Without
   * it such a topic is left untouched (TopicsReady=False, reason TopicNotOwned); see kafka/ownership.ts.
   */
  adopt?: boolean;
}

export interface KafkaSpec {
  bootstrapServers: string[];
  secretRef?: SecretRef;
  deletionPolicy?: DeletionPolicy;
  topics?: KafkaTopicSpec[];
}

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

/**
 * One entry of status.redis.shards, exactly the CRD's shape. The data plane writes AND reads this
 * shape (effectiveShardCount after an operator restart), so there is only one. Fields are optional
 * because a status read back from the API server may lack any of them.
 */
export interface RedisShardStatus {
  index: number;
  primary?: string;
  replicas?: number;
  /** Hash slot ranges served, comma separated, e.g. "0-5460" ("" = none). */
  slots?: string;
  ready?: boolean;
  message?: string;
  /** The primary's used_memory, rounded down to 1 % of maxMemoryBytes. */
  usedMemoryBytes?: number;
  /** The primary's maxmemory (from the container memory limit). */
  maxMemoryBytes?: number;
}

export interface TopicStatus {
  name: string;
  partitions: number;
  ready: boolean;
  message: string;
}

/** The ChatbotDeployment fields the data plane reads. */
export interface DataplaneCbd {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    generation?: number;
    finalizers?: string[];
    deletionTimestamp?: string | Date;
  };
  spec: {
    sessions?: { redis?: RedisSpec };
    messaging?: { kafka?: KafkaSpec };
    scaling?: { maxReplicas?: number };
  };
  status?: {
    conditions?: Condition[];
    redis?: { shards?: RedisShardStatus[] };
    topics?: TopicStatus[];
  };
}

export type { OwnerReference } from '../workload/types.js';
