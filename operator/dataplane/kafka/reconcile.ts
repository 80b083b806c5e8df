/** One reconcile pass for a CR's topics: observe -> plan -> apply -> re-observe -> status. */
import type { V1EnvVar } from '@kubernetes/client-node';
import { condition, TOPICS_READY, TopicsReason } from '../conditions.js';
import { deletionPolicy, kafkaSpec, maxReplicas } from '../defaults.js';
import type { Condition, DataplaneCbd, TopicStatus } from '../types.js';
import type { KafkaConnection } from './credentials.js';
import { kafkaEnv } from './env.js';
import { KafkaUnavailableError } from './errors.js';
import { TopicManager } from './manager.js';
import type { KafkaLogger, TopicManagerOptions } from './manager.js';
import { planTopics } from './plan.js';
import { retryDelayMs, topicsCondition, topicStatuses, unavailableRetryDelayMs } from './status.js';
import { desiredTopics } from './topics.js';

export const TOPIC_FINALIZER = 'chatfleet.io/kafka-topics';

export interface KafkaDeps {
  /** From the secretRef Secret (see ./credentials.ts); omit for a plaintext broker. */
  connection?: KafkaConnection;
  now?: () => Date;
  logger?: KafkaLogger;
  /** Test seam for timeouts; production uses the defaults. */
  managerOptions?: Partial<TopicManagerOptions>;
}

export interface TopicsResult {
  condition: Condition;
  topicsStatus: TopicStatus[];
  env: V1EnvVar[];
  requeueAfterMs: number;
}

function managerFor(cbd: DataplaneCbd, deps: KafkaDeps): TopicManager {
  const kafka = kafkaSpec(cbd);
  return new TopicManager({
    brokers: kafka?.bootstrapServers ?? [],
    connection: deps.connection,
    logger: deps.logger,
    ...deps.managerOptions,
  });
}

function previousTopicsCondition(cbd: DataplaneCbd): Condition | undefined {
  return cbd.status?.conditions?.find((c) => c.type === TOPICS_READY);
}

/** undefined when the CR declares no Kafka (then there is no TopicsReady condition at all). */
export async function reconcileTopics(
  cbd: DataplaneCbd,
  deps: KafkaDeps = {},
): Promise<TopicsResult | undefined> {
  if (!kafkaSpec(cbd)) return undefined;
  const now = deps.now?.() ?? new Date();
  const desired = desiredTopics(cbd);
  const names = desired.map((t) => t.name);
  const env = kafkaEnv(cbd);
  const manager = managerFor(cbd, deps);
  try {
    const outcome = await manager.withAdmin(async (admin) => {
      const before = await manager.observe(admin, names);
      const plan = planTopics(desired, before);
      const { failures, applied } = await manager.apply(admin, plan);
      const observed = applied.length > 0 ? await manager.observe(admin, names) : before;
      return { desired, observed, drift: plan.drift, failures };
    });
    const cond = topicsCondition(outcome, maxReplicas(cbd));
    const topicsStatus = topicStatuses(outcome);
    return {
      condition: cond,
      topicsStatus,
      env,
      requeueAfterMs: retryDelayMs(cond, previousTopicsCondition(cbd), now),
    };
  } catch (err: unknown) {
    return failedResult(cbd, err, env, now);
  }
}

function failedResult(cbd: DataplaneCbd, err: unknown, env: V1EnvVar[], now: Date): TopicsResult {
  const unavailable = err instanceof KafkaUnavailableError;
  const cond = condition(
    TOPICS_READY,
    false,
    unavailable ? TopicsReason.KafkaUnavailable : TopicsReason.KafkaError,
    err instanceof Error ? err.message : String(err),
  );
  const previous = cbd.status?.topics ?? [];
  // Keep the last known per-topic facts, but nothing is ready while we cannot see the broker.
  const topicsStatus = desiredTopics(cbd).map((t) => ({
    name: t.name,
    partitions: previous.find((p) => p.name === t.name)?.partitions ?? 0,
    ready: false,
    message: cond.message,
  }));
  const requeueAfterMs = unavailable
    ? unavailableRetryDelayMs(previousTopicsCondition(cbd), now)
    : retryDelayMs(cond, undefined, now);
  return { condition: cond, topicsStatus, env, requeueAfterMs };
}

/** The finalizer is wanted only when deleting the CR must delete its topics. */
export function needsTopicFinalizer(cbd: DataplaneCbd): boolean {
  const kafka = kafkaSpec(cbd);
  return kafka !== undefined && deletionPolicy(kafka) === 'Delete';
}

export interface FinalizeResult {
  /** true: remove the finalizer now. false: keep it and retry after requeueAfterMs. */
  done: boolean;
  deleted: string[];
  condition?: Condition;
  requeueAfterMs?: number;
}

/** Deletes the CR's topics when deletionPolicy is Delete; Retain (or no Kafka) is done at once. */
export async function finalizeTopics(cbd: DataplaneCbd, deps: KafkaDeps = {}): Promise<FinalizeResult> {
  if (!needsTopicFinalizer(cbd)) return { done: true, deleted: [] };
  const names = desiredTopics(cbd).map((t) => t.name);
  const manager = managerFor(cbd, deps);
  try {
    const deleted = await manager.withAdmin((admin) => manager.deleteTopics(admin, names));
    return { done: true, deleted };
  } catch (err: unknown) {
    const unavailable = err instanceof KafkaUnavailableError;
    const reason = unavailable ? TopicsReason.KafkaUnavailable : TopicsReason.KafkaError;
    const cond = condition(
      TOPICS_READY,
      false,
      reason,
      `deleting topics: ${err instanceof Error ? err.message : String(err)}`,
    );
    const now = deps.now?.() ?? new Date();
    return {
      done: false,
      deleted: [],
      condition: cond,
      requeueAfterMs: unavailableRetryDelayMs(previousTopicsCondition(cbd), now),
    };
  }
}
