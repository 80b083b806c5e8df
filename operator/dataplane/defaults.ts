import type {
  DataplaneCbd,
  DeletionPolicy,
  KafkaSpec,
  OwnerReference,
  PodPlacement,
  RedisSpec,
  ResourceRequirements,
} from './types.js';

/** CONTRACT.md defaults, re-applied so an un-defaulted object behaves like a defaulted one. */
export const REDIS_DEFAULTS = {
  mode: 'managed',
  topology: 'standalone',
  shards: 3,
  replicasPerShard: 1,
  image: 'redis:7.2',
} as const;

export const DEFAULT_REDIS_RESOURCES: ResourceRequirements = {
  requests: { cpu: '100m', memory: '128Mi' },
  limits: { memory: '256Mi' },
};

export const DEFAULT_MAX_REPLICAS = 10;

export interface ResolvedRedisSpec {
  mode: 'managed' | 'external';
  topology: 'standalone' | 'cluster';
  shards: number;
  replicasPerShard: number;
  image: string;
  resources: ResourceRequirements;
  storage?: RedisSpec['storage'];
  /** Where the Redis pods run: spec.sessions.redis.placement (never inherited from the bots'). */
  placement: PodPlacement;
  secretRef?: RedisSpec['secretRef'];
}

/** Redis is always present: sessions need a store, so an absent block means "managed standalone". */
export function resolveRedis(cbd: DataplaneCbd): ResolvedRedisSpec {
  const r = cbd.spec.sessions?.redis ?? {};
  return {
    mode: r.mode ?? REDIS_DEFAULTS.mode,
    topology: r.topology ?? REDIS_DEFAULTS.topology,
    shards: r.shards ?? REDIS_DEFAULTS.shards,
    replicasPerShard: r.replicasPerShard ?? REDIS_DEFAULTS.replicasPerShard,
    image: r.image ?? REDIS_DEFAULTS.image,
    resources: r.resources ?? DEFAULT_REDIS_RESOURCES,
    storage: r.storage,
    placement: r.placement ?? {},
    secretRef: r.secretRef,
  };
}

export function kafkaSpec(cbd: DataplaneCbd): KafkaSpec | undefined {
  return cbd.spec.messaging?.kafka;
}

export function deletionPolicy(kafka: KafkaSpec): DeletionPolicy {
  return kafka.deletionPolicy ?? 'Retain';
}

export function maxReplicas(cbd: DataplaneCbd): number {
  return cbd.spec.scaling?.maxReplicas ?? DEFAULT_MAX_REPLICAS;
}

/** The controller ownerReference every child carries, unless the caller passes its own. */
export function ownerReferenceFor(cbd: DataplaneCbd): OwnerReference {
  if (!cbd.metadata.uid) {
    throw new Error(`ChatbotDeployment ${cbd.metadata.namespace}/${cbd.metadata.name} has no uid yet`);
  }
  return {
    apiVersion: cbd.apiVersion ?? 'chatfleet.io/v1alpha1',
    kind: cbd.kind ?? 'ChatbotDeployment',
    name: cbd.metadata.name,
    uid: cbd.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}
