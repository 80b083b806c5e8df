/** Desired topics of a ChatbotDeployment. PURE. */
import { workersEnabled } from '../../api/index.js';
import { nameOf, namespaceOf } from '../identity.js';
import type { ChatbotDeployment, TopicPurpose } from '../types.js';

export interface DesiredTopic {
  name: string;
  partitions: number;
  /**
   * undefined (the default topics) = chosen once at creation (min(3, brokers)) and never compared
   * afterwards. An explicit topic always has one: the CRD defaults it.
   */
  replicationFactor: number | undefined;
  /** The complete set of topic-level overrides; anything else on the broker is drift. */
  config: Record<string, string>;
  purpose: TopicPurpose | undefined;
  /** spec.messaging.kafka.topics[].adopt: manage it even if it existed before (see ./ownership.ts). */
  adopt: boolean;
}

/** `<ns>.<name>.events`, `<ns>.<name>.tasks`, and the tasks' dead letters `<ns>.<name>.tasks.dlq`. */
export function defaultTopicName(cbd: ChatbotDeployment, purpose: TopicPurpose): string {
  const suffix = purpose === 'dlq' ? 'tasks.dlq' : purpose;
  return `${namespaceOf(cbd)}.${nameOf(cbd)}.${suffix}`;
}

/**
 * Partitions of each default topic. Consumers beyond a topic's partition count sit idle (KEDA #1683):
 * events get spec.scaling.maxReplicas (the bots produce them), tasks at least spec.workers.maxReplicas
 * too while the workers consume them, and the DLQ as many as tasks, so a task replayed from it lands on
 * the partition its key had.
 */
function defaultPartitions(cbd: ChatbotDeployment, purpose: TopicPurpose): number {
  const bots = cbd.spec.scaling.maxReplicas;
  if (purpose === 'events' || !workersEnabled(cbd.spec)) return bots;
  return Math.max(bots, cbd.spec.workers.maxReplicas);
}

/** The default topics: events and tasks, plus the DLQ while the workers run. */
function defaultPurposes(cbd: ChatbotDeployment): TopicPurpose[] {
  return workersEnabled(cbd.spec) ? ['events', 'tasks', 'dlq'] : ['events', 'tasks'];
}

/**
 * The explicit topics list (partitions and replicationFactor defaulted by the CRD), or when it is
 * empty the defaults (defaultPurposes, defaultPartitions).
 */
export function desiredTopics(cbd: ChatbotDeployment): DesiredTopic[] {
  const kafka = cbd.spec.messaging?.kafka;
  if (!kafka) return [];
  const topics = kafka.topics ?? [];
  if (topics.length === 0) {
    return defaultPurposes(cbd).map((purpose) => ({
      name: defaultTopicName(cbd, purpose),
      partitions: defaultPartitions(cbd, purpose),
      replicationFactor: undefined,
      config: {},
      purpose,
      // Default names are derived from this CR's namespace and name; an existing one is adopted only
      // by listing it explicitly with adopt: true.
      adopt: false,
    }));
  }
  return topics.map((t) => ({
    name: t.name,
    partitions: t.partitions,
    replicationFactor: t.replicationFactor,
    config: { ...(t.config ?? {}) },
    purpose: t.purpose,
    adopt: t.adopt === true,
  }));
}

export function topicFor(topics: readonly DesiredTopic[], purpose: TopicPurpose): string | undefined {
  return topics.find((t) => t.purpose === purpose)?.name;
}

/** The fleet's topic of one purpose (its tasks topic, say), or undefined when it has none. */
export function topicOf(cbd: ChatbotDeployment, purpose: TopicPurpose): string | undefined {
  return topicFor(desiredTopics(cbd), purpose);
}

/** Who consumes the tasks topic, at most how many: the worker pool while it runs, else (as before) the bots' bound. */
export function tasksConsumers(cbd: ChatbotDeployment): { maxReplicas: number; field: string } {
  return workersEnabled(cbd.spec)
    ? { maxReplicas: cbd.spec.workers.maxReplicas, field: 'spec.workers.maxReplicas' }
    : { maxReplicas: cbd.spec.scaling.maxReplicas, field: 'spec.scaling.maxReplicas' };
}
