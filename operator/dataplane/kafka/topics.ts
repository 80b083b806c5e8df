/** Desired topics of a ChatbotDeployment. PURE. */
import { kafkaSpec, maxReplicas } from '../defaults.js';
import type { DataplaneCbd, TopicPurpose } from '../types.js';

export interface DesiredTopic {
  name: string;
  partitions: number;
  /** undefined = chosen once at creation (min(3, brokers)) and never compared afterwards. */
  replicationFactor: number | undefined;
  /** The complete set of topic-level overrides; anything else on the broker is drift. */
  config: Record<string, string>;
  purpose: TopicPurpose | undefined;
  /** spec.messaging.kafka.topics[].adopt: manage it even if it existed before (see ./ownership.ts). */
  adopt: boolean;
}

export function defaultTopicName(cbd: DataplaneCbd, purpose: TopicPurpose): string {
  return `${cbd.metadata.namespace}.${cbd.metadata.name}.${purpose}`;
}

/**
 * The explicit topics list, or when it is empty the two defaults. Default partition count is
 * spec.scaling.maxReplicas so no scaled-out consumer sits idle (KEDA #1683).
 */
export function desiredTopics(cbd: DataplaneCbd): DesiredTopic[] {
  const kafka = kafkaSpec(cbd);
  if (!kafka) return [];
  const partitions = maxReplicas(cbd);
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
    partitions: t.partitions ?? partitions,
    replicationFactor: t.replicationFactor,
    config: { ...(t.config ?? {}) },
    purpose: t.purpose,
    adopt: t.adopt === true,
  }));
}

export function topicFor(topics: readonly DesiredTopic[], purpose: TopicPurpose): string | undefined {
  return topics.find((t) => t.purpose === purpose)?.name;
}
