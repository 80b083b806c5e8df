// The invalid spec.workers and spec.sessions.summarizeAfterTurns the API server must reject, each with
// the text its message must contain (it names the field). Used by workers-validation.test.ts.
import type { Spec } from './support.js';

const kafka = { kafka: { bootstrapServers: ['k:9092'] } };
const hook = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'crm',
  url: 'https://crm.example/hook',
  secretRef: { name: 'hooks', key: 'crm' },
  ...over,
});
const withWorkers =
  (workers: Record<string, unknown>) =>
  (s: Spec): Spec => ({ ...s, messaging: kafka, workers });

// [case, spec change, text the message must contain]
export const invalidWorkers: [string, (s: Spec) => Spec, string][] = [
  [
    'workers enabled without Kafka',
    (s) => ({ ...s, workers: { enabled: true } }),
    'spec.workers.enabled true needs spec.messaging.kafka',
  ],
  [
    'minReplicas > maxReplicas',
    withWorkers({ minReplicas: 5, maxReplicas: 3 }),
    'spec.workers.maxReplicas must be at least spec.workers.minReplicas',
  ],
  ['minReplicas negative', withWorkers({ minReplicas: -1 }), 'spec.workers.minReplicas'],
  ['maxReplicas 0', withWorkers({ maxReplicas: 0 }), 'spec.workers.maxReplicas'],
  ['targetLagPerReplica 0', withWorkers({ targetLagPerReplica: 0 }), 'spec.workers.targetLagPerReplica'],
  ['activationLag negative', withWorkers({ activationLag: -1 }), 'spec.workers.activationLag'],
  ['cooldownSeconds above a day', withWorkers({ cooldownSeconds: 86401 }), 'spec.workers.cooldownSeconds'],
  [
    'stabilizationSeconds negative',
    withWorkers({ stabilizationSeconds: -1 }),
    'spec.workers.stabilizationSeconds',
  ],
  ['concurrency 0', withWorkers({ concurrency: 0 }), 'spec.workers.concurrency'],
  ['concurrency 65', withWorkers({ concurrency: 65 }), 'spec.workers.concurrency'],
  [
    'priorityClassName not a DNS name',
    withWorkers({ priorityClassName: 'Low Priority' }),
    'spec.workers.priorityClassName',
  ],
  [
    'worker memory not a quantity',
    withWorkers({ resources: { limits: { memory: 'lots' } } }),
    'spec.workers.resources.limits.memory',
  ],
  [
    'webhook name not a DNS label',
    withWorkers({ webhooks: [hook({ name: 'CRM_Hook' })] }),
    'spec.workers.webhooks[0].name',
  ],
  [
    'two webhooks with one name',
    withWorkers({ webhooks: [hook(), hook({ url: 'https://other.example/' })] }),
    'spec.workers.webhooks[1]',
  ],
  [
    'webhook url not http(s)',
    withWorkers({ webhooks: [hook({ url: 'ftp://crm.example/hook' })] }),
    'spec.workers.webhooks[].url must be an http(s) URL with a host',
  ],
  [
    'webhook url not a URL',
    withWorkers({ webhooks: [hook({ url: 'crm.example/hook' })] }),
    'spec.workers.webhooks[].url must be an http(s) URL with a host',
  ],
  [
    'webhook url with credentials',
    withWorkers({ webhooks: [hook({ url: 'https://user:pw@crm.example/hook' })] }),
    'spec.workers.webhooks[].url must not hold credentials',
  ],
  [
    'webhook url longer than 2048',
    withWorkers({ webhooks: [hook({ url: `https://crm.example/${'a'.repeat(2048)}` })] }),
    'spec.workers.webhooks[0].url',
  ],
  [
    'webhook without secretRef',
    withWorkers({ webhooks: [hook({ secretRef: undefined })] }),
    'spec.workers.webhooks[0].secretRef',
  ],
  [
    'webhook secretRef without key',
    withWorkers({ webhooks: [hook({ secretRef: { name: 'hooks' } })] }),
    'spec.workers.webhooks[0].secretRef.key',
  ],
  [
    'webhook maxAttempts 21',
    withWorkers({ webhooks: [hook({ maxAttempts: 21 })] }),
    'spec.workers.webhooks[0].maxAttempts',
  ],
  [
    'webhook timeoutSeconds 0',
    withWorkers({ webhooks: [hook({ timeoutSeconds: 0 })] }),
    'spec.workers.webhooks[0].timeoutSeconds',
  ],
  [
    '33 webhooks',
    withWorkers({ webhooks: Array.from({ length: 33 }, (_, i) => hook({ name: `h${i}` })) }),
    'spec.workers.webhooks',
  ],
  [
    'two dlq topics',
    (s) => ({
      ...s,
      messaging: {
        kafka: {
          bootstrapServers: ['k:9092'],
          topics: [
            { name: 'a', purpose: 'dlq' },
            { name: 'b', purpose: 'dlq' },
          ],
        },
      },
    }),
    'spec.messaging.kafka.topics[] may hold at most one topic with purpose dlq',
  ],
  [
    'summarizeAfterTurns 3',
    (s) => ({ ...s, sessions: { summarizeAfterTurns: 3 } }),
    'spec.sessions.summarizeAfterTurns',
  ],
  [
    'summarizeAfterTurns above maxTurns',
    (s) => ({ ...s, sessions: { maxTurns: 10, summarizeAfterTurns: 11 } }),
    'spec.sessions.summarizeAfterTurns must not exceed spec.sessions.maxTurns',
  ],
  [
    'summarizeAfterTurns above the default maxTurns (20)',
    (s) => ({ ...s, sessions: { summarizeAfterTurns: 21 } }),
    'spec.sessions.summarizeAfterTurns must not exceed spec.sessions.maxTurns',
  ],
];
