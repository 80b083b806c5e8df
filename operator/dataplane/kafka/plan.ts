/**
 * Topic planner. PURE: desired topics vs observed broker metadata -> actions it can take and
 * drift it cannot fix. Like Strimzi's KafkaTopic: create, grow partitions, converge configs;
 * partition decreases and replication-factor changes are NotSupported and left untouched.
 */
import type { DesiredTopic } from './topics.js';

export interface ObservedTopic {
  name: string;
  partitions: number;
  replicationFactor: number;
  /** Topic-level overrides only (config source TOPIC_CONFIG), not broker defaults. */
  config: Record<string, string>;
}

export type TopicAction =
  | {
      kind: 'create';
      topic: string;
      partitions: number;
      replicationFactor: number | undefined;
      config: Record<string, string>;
    }
  | { kind: 'increasePartitions'; topic: string; from: number; to: number }
  | { kind: 'alterConfig'; topic: string; config: Record<string, string>; changedKeys: string[] };

export interface TopicDrift {
  topic: string;
  reason: 'NotSupported';
  message: string;
}

export interface TopicPlan {
  actions: TopicAction[];
  drift: TopicDrift[];
}

export function planTopics(
  desired: readonly DesiredTopic[],
  observed: ReadonlyMap<string, ObservedTopic>,
): TopicPlan {
  const plan: TopicPlan = { actions: [], drift: [] };
  for (const topic of desired) {
    const current = observed.get(topic.name);
    if (!current) {
      plan.actions.push({
        kind: 'create',
        topic: topic.name,
        partitions: topic.partitions,
        replicationFactor: topic.replicationFactor,
        config: topic.config,
      });
      continue;
    }
    planPartitions(topic, current, plan);
    planReplication(topic, current, plan);
    planConfig(topic, current, plan);
  }
  return plan;
}

function planPartitions(topic: DesiredTopic, current: ObservedTopic, plan: TopicPlan): void {
  if (topic.partitions > current.partitions) {
    plan.actions.push({
      kind: 'increasePartitions',
      topic: topic.name,
      from: current.partitions,
      to: topic.partitions,
    });
  } else if (topic.partitions < current.partitions) {
    plan.drift.push({
      topic: topic.name,
      reason: 'NotSupported',
      message:
        `partitions ${current.partitions} -> ${topic.partitions}: Kafka cannot decrease partitions; ` +
        `the topic is left at ${current.partitions}`,
    });
  }
}

function planReplication(topic: DesiredTopic, current: ObservedTopic, plan: TopicPlan): void {
  if (topic.replicationFactor === undefined || topic.replicationFactor === current.replicationFactor) return;
  plan.drift.push({
    topic: topic.name,
    reason: 'NotSupported',
    message:
      `replicationFactor ${current.replicationFactor} -> ${topic.replicationFactor}: changing it needs a ` +
      `partition reassignment, which the operator does not do; the topic is left unchanged`,
  });
}

/** Keys whose value differs, plus overrides present on the broker but not in the spec. */
export function changedConfigKeys(
  desired: Record<string, string>,
  observed: Record<string, string>,
): string[] {
  const keys = new Set([...Object.keys(desired), ...Object.keys(observed)]);
  return [...keys].filter((k) => desired[k] !== observed[k]).sort();
}

function planConfig(topic: DesiredTopic, current: ObservedTopic, plan: TopicPlan): void {
  const changedKeys = changedConfigKeys(topic.config, current.config);
  if (changedKeys.length === 0) return;
  plan.actions.push({ kind: 'alterConfig', topic: topic.name, config: topic.config, changedKeys });
}
