/** Desired topics of a ChatbotDeployment. PURE. */
import { nameOf, namespaceOf } from '../identity.js';
import type { ChatbotDeployment, TopicPurpose } from '../types.js';

export interface DesiredTopic {
  name: string;
  partitions: number;
  /**
   * undefined (the two default topics) = chosen once at creation (min(3, brokers)) and never compared
   * afterwards. An explicit topic always has one: the CRD defaults it.
   */
  replicationFactor: number | undefined;
  /** The complete set of topic-level overrides; anything else on the broker is drift. */
  config: Record<string, string>;
  purpose: TopicPurpose | undefined;
  /** spec.messaging.kafka.topics[].adopt: manage it even if it existed before (see ./ownership.ts). */
  adopt: boolean;
}

export function defaultTopicName(cbd: ChatbotDeployment, purpose: TopicPurpose): string {
  return `${namespaceOf(cbd)}.${nameOf(cbd)}.${purpose}`;
}

/**
 * The explicit topics list (partitions and replicationFactor defaulted by the CRD), or when it is
 * empty the two defaults, whose partition count is spec.scaling.maxReplicas so no scaled-out
 * consumer sits idle (KEDA #1683).
 */
export function desiredTopics(cbd: ChatbotDeployment): DesiredTopic[] {
  const kafka = cbd.spec.messaging?.kafka;
  if (!kafka) return [];
  const partitions = cbd.spec.scaling.maxReplicas;
  const topics = kafka.topics ?? [];
  if (topics.length === 0) {
    return (['events', 'tasks'] as const).map((purpose) => ({
      name: defaultTopicName(cbd, purpose),
      partitions,
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
