/**
 * Test support: ChatbotDeployments for data plane tests, defaulted exactly like the API server does
 * (withDefaults, operator/api/defaults.ts), so tests read the same shape the reconciler hands over.
 * Imported by tests only.
 */
import { withDefaults } from '../api/index.js';
import type {
  ChatbotDeploymentSpecInput,
  ChatbotDeploymentStatus,
  KafkaSpecInput,
  RedisSpecInput,
  ScalingSpecInput,
} from '../api/index.js';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { ChatbotDeployment } from './types.js';

export interface CbdParts {
  metadata?: Partial<V1ObjectMeta>;
  redis?: RedisSpecInput;
  kafka?: KafkaSpecInput;
  maxReplicas?: number;
  scaling?: ScalingSpecInput;
  status?: ChatbotDeploymentStatus;
  /** Any other spec fields (e.g. the bots' own spec.placement). */
  spec?: Partial<ChatbotDeploymentSpecInput>;
}

/** A CR named `support` in `bots` (uid `uid-1`) with the given Redis, Kafka and status, defaulted. */
export function testCbd(parts: CbdParts = {}): ChatbotDeployment {
  const scaling = { ...parts.scaling, ...(parts.maxReplicas ? { maxReplicas: parts.maxReplicas } : {}) };
  return withDefaults({
    apiVersion: 'chatfleet.io/v1alpha1',
    kind: 'ChatbotDeployment',
    metadata: { name: 'support', namespace: 'bots', uid: 'uid-1', ...parts.metadata },
    spec: {
      runtime: { image: 'registry.local/bot:1.0' },
      model: { name: 'support-bot', version: 'v1' },
      // Without workers unless a test asks (spec.workers): the data plane's tests see the two default
      // topics; the workers' DLQ and partition rule are tested on their own (kafka/plan.test.ts).
      workers: { enabled: false },
      ...parts.spec,
      ...(parts.redis ? { sessions: { redis: parts.redis } } : {}),
      ...(parts.kafka ? { messaging: { kafka: parts.kafka } } : {}),
      ...(Object.keys(scaling).length > 0 ? { scaling } : {}),
    },
    ...(parts.status ? { status: parts.status } : {}),
  });
}
