/**
 * The data plane: what a fleet needs besides its bot pods, as two FleetComponents the operator
 * registers in this order (operator/main.ts):
 * - RedisComponent (./redis/component.ts): the sessions store, spec.sessions.redis: managed Redis
 *   objects (standalone, or a Redis Cluster of shard StatefulSets), the generated password Secret,
 *   REDIS_* env, RedisReady, status.redis;
 * - KafkaTopicsComponent (./kafka/component.ts): spec.messaging.kafka: the topics (owned through
 *   topic claims), KAFKA_* env, TopicsReady, status.topics, and the topic finalizer that deletes
 *   them when deletionPolicy is Delete.
 * See docs/dataplane.md. Code outside operator/dataplane imports from this file only.
 */
export { RedisComponent } from './redis/component.js';
export type { RedisCaches, RedisKube, RedisOptions } from './redis/component.js';
export { KafkaTopicsComponent, TOPICS_RECHECK_MS } from './kafka/component.js';
export type { KafkaTopicsKube, KafkaTopicsOptions } from './kafka/component.js';
export { TOPIC_FINALIZER } from './kafka/reconcile.js';
export { dataPlaneEnv } from './env.js';
// For the worker pool's lag reads (operator/workers): its own admin pool, the fleet's credentials, its topics.
export { endLease, KafkaAdminPool } from './kafka/admin-pool.js';
export type { AdminLease, AdminTarget } from './kafka/admin-pool.js';
export { brokerSet } from './kafka/admin-pool-policy.js';
export { boundedCall, throwIfAborted } from './kafka/bounded-call.js';
export type { CallBounds } from './kafka/bounded-call.js';
export {
  hasProtocolErrorType,
  isKafkaUnavailable,
  KafkaCallAbortedError,
  KafkaCallTimeoutError,
  KafkaUnavailableError,
} from './kafka/errors.js';
export { kafkaAdminFactory } from './kafka/admin-client.js';
export { kafkaConnection } from './kafka/connection-secret.js';
export type { CredentialsState } from './kafka/connection-secret.js';
export { topicOf } from './kafka/topics.js';
// The bot pod template's Redis password stamp, copied onto the worker pods so they roll with the bots.
export { ANNOTATION_REDIS_PASSWORD } from './redis/password-rotation.js';
