/**
 * Semantic checks the CRD schema cannot express, because they depend on observed state.
 * PURE: reads spec and status only.
 */
import { condition, DEGRADED, REDIS_READY, RedisReason } from '../conditions.js';
import type { Condition, ChatbotDeployment } from '../types.js';

/**
 * Shards that still own hash slots according to the last written status.redis.shards (CRD shape:
 * `slots` is the served ranges, "" or absent = none). After an operator restart this status is
 * all that is known, so an entry without a readable `slots` counts as holding slots: keeping a
 * StatefulSet one pass longer is safe, pruning a shard that still serves slots is not.
 */
export function shardsHoldingSlots(cbd: ChatbotDeployment): number[] {
  const shards = cbd.status?.redis?.shards ?? [];
  return shards
    .filter((s) => typeof s.slots !== 'string' || s.slots.trim() !== '')
    .map((s) => s.index)
    .filter((i): i is number => Number.isInteger(i));
}

/**
 * The number of shard StatefulSets to keep. On scale-in a shard keeps its StatefulSet (and its
 * pods keep serving) until the cluster logic has migrated all its slots away and status shows
 * it empty; only then does it drop out here, and the caller prunes it.
 */
export function effectiveShardCount(cbd: ChatbotDeployment): number {
  const spec = cbd.spec.sessions.redis;
  const highest = Math.max(-1, ...shardsHoldingSlots(cbd));
  return Math.max(spec.shards, highest + 1);
}

/** A blocking RedisReady=False condition, or undefined when the spec is acceptable. */
export function validateRedis(cbd: ChatbotDeployment): Condition | undefined {
  const spec = cbd.spec.sessions.redis;
  if (spec.mode === 'external' && !spec.secretRef?.name) {
    return condition(
      REDIS_READY,
      false,
      RedisReason.ExternalSecretInvalid,
      'mode external requires secretRef.name',
    );
  }
  return undefined;
}

/** Which keys the Secret behind an external secretRef must hold (checked by the caller's Secret read). */
export function validateExternalRedisSecret(keys: readonly string[]): Condition | undefined {
  if (keys.includes('url') || keys.includes('clusterNodes')) return undefined;
  return condition(
    REDIS_READY,
    false,
    RedisReason.ExternalSecretInvalid,
    'the external Redis Secret must contain key "url" or key "clusterNodes" (optional: "password", "tls")',
  );
}

/**
 * Degraded=True/NoRedundancy when a managed Redis cannot survive the loss of one pod (a warning:
 * Redis still serves). Cluster with replicasPerShard 0: a lost primary takes its shard's sessions
 * (without storage) or its shard's availability (with storage) with it. Standalone without
 * storage: any restart of the one pod empties it. undefined when one pod can be lost. PURE.
 */
export function redundancyWarning(cbd: ChatbotDeployment): Condition | undefined {
  const spec = cbd.spec.sessions.redis;
  if (spec.mode !== 'managed') return undefined;
  if (spec.topology === 'cluster' && spec.replicasPerShard === 0) {
    const loss = spec.storage
      ? "its shard's slots are down until the pod returns"
      : 'the sessions of its shard are lost';
    return condition(
      DEGRADED,
      true,
      RedisReason.NoRedundancy,
      `spec.sessions.redis.replicasPerShard is 0: when a Redis primary pod is lost, ${loss}; set replicasPerShard to 1 or more`,
    );
  }
  if (spec.topology === 'standalone' && !spec.storage) {
    return condition(
      DEGRADED,
      true,
      RedisReason.NoRedundancy,
      'standalone Redis without spec.sessions.redis.storage: every session is lost when its pod or container restarts; set storage, or use topology cluster with replicasPerShard 1 or more',
    );
  }
  return undefined;
}
