/** Per-topic status, the TopicsReady condition and the retry delay. PURE (clock injected as `now`). */
import { condition, TOPICS_READY, TopicsReason } from '../conditions.js';
import type { Condition, TopicStatus } from '../types.js';
import type { ObservedTopic, TopicDrift } from './plan.js';
import type { DesiredTopic } from './topics.js';

export const RESYNC_MS = 300_000;
export const KAFKA_ERROR_RETRY_MS = 30_000;
export const MIN_UNAVAILABLE_RETRY_MS = 5_000;
/** A broker back from an outage is noticed within a minute (the operator's periodic re-check). */
export const MAX_UNAVAILABLE_RETRY_MS = 60_000;

export interface TopicOutcome {
  desired: readonly DesiredTopic[];
  observed: ReadonlyMap<string, ObservedTopic>;
  drift: readonly TopicDrift[];
  /** Actions the broker refused, by topic. */
  failures: ReadonlyMap<string, string>;
  /** Existing topics this CR does not own, left untouched (./ownership.ts), by topic. */
  notOwned?: ReadonlyMap<string, string>;
  /** Topics another CR owns, by topic (the message names it). */
  conflicts?: ReadonlyMap<string, string>;
}

export function topicStatuses(outcome: TopicOutcome): TopicStatus[] {
  return outcome.desired.map((topic) => {
    const seen = outcome.observed.get(topic.name);
    const ownership = outcome.conflicts?.get(topic.name) ?? outcome.notOwned?.get(topic.name);
    const problems = [
      ...(ownership !== undefined ? [ownership] : []),
      ...outcome.drift.filter((d) => d.topic === topic.name).map((d) => d.message),
      ...(outcome.failures.has(topic.name) ? [outcome.failures.get(topic.name) ?? ''] : []),
      ...(seen ? [] : ['topic does not exist on the broker']),
    ];
    return {
      name: topic.name,
      partitions: seen?.partitions ?? 0,
      ready: problems.length === 0,
      message: problems.join('; '),
    };
  });
}

/**
 * Consumer (tasks) topics with fewer partitions than maxReplicas leave workers idle (KEDA #1683);
 * `field` names the bound in the message (the worker pool's while it runs: tasksConsumers in ./topics.ts).
 */
export function idleConsumerWarning(
  outcome: TopicOutcome,
  maxReplicas: number,
  field = 'spec.scaling.maxReplicas',
): string | undefined {
  const short = outcome.desired
    .filter((t) => t.purpose === 'tasks')
    .map((t) => ({ name: t.name, partitions: outcome.observed.get(t.name)?.partitions }))
    .filter(
      (t): t is { name: string; partitions: number } =>
        t.partitions !== undefined && t.partitions < maxReplicas,
    );
  if (short.length === 0) return undefined;
  const list = short.map((t) => `${t.name} (${t.partitions})`).join(', ');
  return (
    `consumer topic(s) ${list} have fewer partitions than ${field}=${maxReplicas}: ` +
    `workers beyond the partition count would sit idle`
  );
}

export function topicsCondition(
  outcome: TopicOutcome,
  maxReplicas: number,
  field = 'spec.scaling.maxReplicas',
): Condition {
  const statuses = topicStatuses(outcome);
  const warning = idleConsumerWarning(outcome, maxReplicas, field);
  const notReady = statuses.filter((s) => !s.ready);
  const withWarning = (msg: string): string => (warning ? `${msg}; warning: ${warning}` : msg);
  const allProblems = (): string => withWarning(notReady.map((s) => `${s.name}: ${s.message}`).join('; '));
  if (outcome.failures.size > 0)
    return condition(TOPICS_READY, false, TopicsReason.KafkaError, allProblems());
  if ((outcome.conflicts?.size ?? 0) > 0) {
    return condition(TOPICS_READY, false, TopicsReason.TopicConflict, allProblems());
  }
  if ((outcome.notOwned?.size ?? 0) > 0) {
    return condition(TOPICS_READY, false, TopicsReason.TopicNotOwned, allProblems());
  }
  if (outcome.drift.length > 0) {
    const msg = outcome.drift.map((d) => `${d.topic}: ${d.message}`).join('; ');
    return condition(TOPICS_READY, false, TopicsReason.NotSupported, withWarning(msg));
  }
  if (notReady.length > 0) return condition(TOPICS_READY, false, TopicsReason.KafkaError, allProblems());
  if (warning) return condition(TOPICS_READY, true, TopicsReason.PartitionsBelowMaxReplicas, warning);
  return condition(TOPICS_READY, true, TopicsReason.Ready, `${statuses.length} topic(s) ready`);
}

/**
 * Stateless exponential-ish backoff: while Kafka stays unavailable the delay equals the time
 * since it became unavailable (so it roughly doubles per attempt), clamped to [5 s, 60 s].
 */
export function unavailableRetryDelayMs(previous: Condition | undefined, now: Date): number {
  if (previous?.reason !== TopicsReason.KafkaUnavailable || !previous.lastTransitionTime) {
    return MIN_UNAVAILABLE_RETRY_MS;
  }
  const elapsed = now.getTime() - Date.parse(previous.lastTransitionTime);
  if (!Number.isFinite(elapsed)) return MIN_UNAVAILABLE_RETRY_MS;
  return Math.min(MAX_UNAVAILABLE_RETRY_MS, Math.max(MIN_UNAVAILABLE_RETRY_MS, elapsed));
}

export function retryDelayMs(current: Condition, previous: Condition | undefined, now: Date): number {
  if (current.reason === TopicsReason.KafkaUnavailable) return unavailableRetryDelayMs(previous, now);
  if (current.reason === TopicsReason.KafkaError) return KAFKA_ERROR_RETRY_MS;
  return RESYNC_MS;
}
