import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';

/**
 * The data plane's operator metrics, on the operator's injected registry. Deliberately without
 * namespace/name labels: they report outcomes of deletions (fleets that are gone), and the log line
 * and Events name the fleet and topics.
 */
export interface DataplaneMetrics {
  /** Topics a CR deletion dealt with, by result: deleted, left_behind (gave up), retained (not owned). */
  topicDeletions: Counter<'result'>;
}

export function registerDataplaneMetrics(registry: Registry): DataplaneMetrics {
  return {
    topicDeletions: new Counter({
      name: 'chatfleet_operator_topic_deletions_total',
      help:
        'Kafka topics handled when a ChatbotDeployment with deletionPolicy Delete was deleted, by result ' +
        '(deleted; left_behind: given up after --topic-deletion-timeout-seconds, still on the broker; ' +
        'retained: not owned by the CR).',
      labelNames: ['result'],
      registers: [registry],
    }),
  };
}
