/**
 * Data plane facade: everything the ChatbotDeployment reconciler calls for Redis sessions
 * (spec.sessions.redis) and Kafka topics (spec.messaging.kafka). See docs/dataplane.md.
 *
 * Pure (no I/O; call on every reconcile):
 *   desiredRedisObjects(cbd, owner?)  -> StatefulSet(s), Services, PDB(s) to server-side apply
 *                                        ([] for external mode). Prune Redis children not in this
 *                                        list by label app.kubernetes.io/name=redis + instance=<cr>.
 *   redisPasswordSecret(cbd, owner?)  -> the `<cr>-redis-auth` Secret with a NEW random password
 *                                        (undefined in external mode). CREATE only if missing (POST;
 *                                        409 = fine). Never apply it on every reconcile.
 *   redisEnv(cbd), kafkaEnv(cbd)      -> bot container env (secretKeyRefs, never secret values);
 *   dataplaneEnv(cbd)                    both together, to append to the bot container env.
 *   validateRedis(cbd)                -> blocking RedisReady=False (ExternalSecretInvalid) or
 *                                        undefined.
 *   redisReadyCondition(cbd, ready)   -> RedisReady for standalone (ready = StatefulSet
 *                                        readyReplicas) and external; undefined for cluster.
 *   clusterPodsFromPods(pods)         -> V1Pod[] (label selector app.kubernetes.io/name=redis,
 *                                        instance=<cr>) -> cluster members for the call below.
 *   needsTopicFinalizer(cbd)          -> add TOPIC_FINALIZER only when true (deletionPolicy
 *                                        Delete); remove it when false (policy switched to Retain).
 *   topicsWaitForFinalizer(cbd)       -> true while that finalizer is wanted but not yet stored:
 *                                        do not call reconcileTopics then (no topic before it).
 *
 * I/O (call from the reconcile, never from a watch callback):
 *   reconcileRedisCluster(cbd, pods, { password })
 *       -> { condition (RedisReady), shards (status.redis.shards), actions, requeueAfterMs }
 *          or undefined when not managed cluster mode. Talks to the Redis pods via ioredis.
 *   reconcileTopics(cbd, { ownership, connection? })
 *       -> { condition (TopicsReady), topicsStatus (status.topics), env, requeueAfterMs }
 *          or undefined when the CR has no Kafka. Never throws for Kafka problems: an
 *          unreachable broker is TopicsReady=False/KafkaUnavailable, and the bot Deployment must
 *          still be reconciled (chat never depends on Kafka). Changes only topics the CR owns
 *          (kafka/ownership.ts; `ownership` = KubeTopicOwnership, the claims); throws
 *          TopicOwnershipError when the claims cannot be read or written (the API server).
 *   finalizeTopics(cbd, { ownership, connection?, deletionTimeoutMs? })  (on deletion, while
 *       TOPIC_FINALIZER is present)
 *       -> { done, deleted, notOwned, leftBehind, condition?, requeueAfterMs? }; remove the
 *          finalizer when done. Deletes owned topics only; past the bound after
 *          deletionTimestamp it is done with the topics it could not delete in leftBehind.
 *   `connection` comes from kafkaConnectionFromSecret(secret.data) of spec.messaging.kafka.secretRef.
 *
 * Order within one reconcile (cluster mode): reconcileRedisCluster first (if its pods exist),
 * write result.shards to status.redis.shards, and compute desiredRedisObjects/redisEnv from the
 * CR WITH that fresh status. The shard count kept (effectiveShardCount) reads status.redis.shards:
 * a shard being drained by a scale-in keeps its StatefulSet until status shows it without slots.
 * Never prune shard StatefulSets from a CR whose status.redis was lost.
 *
 * Conditions come without lastTransitionTime/observedGeneration: the caller's condition setter
 * owns those (it keeps lastTransitionTime when status is unchanged).
 */
import type { V1EnvVar } from '@kubernetes/client-node';
import { resolveRedis } from './defaults.js';
import { kafkaEnv } from './kafka/env.js';
import { redisEnv } from './redis/env.js';
import { generateRedisPassword, redisPasswordSecret as passwordSecret } from './redis/secret.js';
import type { DataplaneCbd, OwnerReference } from './types.js';
import type { V1Secret } from '@kubernetes/client-node';

export { desiredRedisObjects } from './redis/desired.js';
export type { RedisObject } from './redis/desired.js';
export { redisEnv } from './redis/env.js';
export { kafkaEnv, KAFKA_SECRET_KEYS } from './kafka/env.js';
export { validateRedis, validateExternalRedisSecret, effectiveShardCount } from './redis/validate.js';
export {
  clusterMembers,
  clusterPodsFromPods,
  controlledStatefulSets,
  reconcileRedisCluster,
  redisReadyCondition,
} from './redis/reconcile.js';
export type { PodLike, RedisClusterDeps } from './redis/reconcile.js';
export { toShardStatus } from './redis/cluster.js';
export type { ClusterPod, ClusterReconcileResult } from './redis/cluster.js';
export { redisNames, PASSWORD_KEY } from './redis/names.js';
export {
  reconcileTopics,
  finalizeTopics,
  needsTopicFinalizer,
  topicsWaitForFinalizer,
  TOPIC_FINALIZER,
} from './kafka/reconcile.js';
export type { TopicsResult, FinalizeResult, FinalizeDeps, KafkaDeps, TopicsDeps } from './kafka/reconcile.js';
export { KubeTopicOwnership } from './kafka/claims.js';
export type { TopicOwnership } from './kafka/claims.js';
export { DEFAULT_TOPIC_DELETION_TIMEOUT_MS } from './kafka/deletion.js';
export { kafkaConnectionFromSecret } from './kafka/credentials.js';
export type { KafkaConnection } from './kafka/credentials.js';
export { desiredTopics } from './kafka/topics.js';
export { REDIS_READY, TOPICS_READY, RedisReason, TopicsReason } from './conditions.js';
export type * from './types.js';

/** The generated password Secret (managed mode only, else undefined); create only if missing. */
export function redisPasswordSecret(cbd: DataplaneCbd, owner?: OwnerReference): V1Secret | undefined {
  if (resolveRedis(cbd).mode !== 'managed') return undefined;
  return passwordSecret(cbd, generateRedisPassword(), owner);
}

export function dataplaneEnv(cbd: DataplaneCbd): V1EnvVar[] {
  return [...redisEnv(cbd), ...kafkaEnv(cbd)];
}
