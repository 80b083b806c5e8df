/** Test support: a defaulted fleet with Kafka (so the workers are on) and optional spec overrides. Tests only. */
import { withDefaults } from '../api/index.js';
import type { ChatbotDeploymentSpecInput, ChatbotDeploymentStatus } from '../api/index.js';
import type { ChatbotDeployment } from '../workload/types.js';

export function workerCbd(
  spec: Partial<ChatbotDeploymentSpecInput> = {},
  status?: ChatbotDeploymentStatus,
): ChatbotDeployment {
  return withDefaults({
    apiVersion: 'chatfleet.io/v1alpha1',
    kind: 'ChatbotDeployment',
    metadata: { name: 'support', namespace: 'team-a', uid: 'uid-1', generation: 2 },
    spec: {
      runtime: { image: 'registry.local/bot:1.0' },
      model: { name: 'support-bot', version: 'v7' },
      messaging: { kafka: { bootstrapServers: ['kafka-0:9092'] } },
      ...spec,
    },
    ...(status ? { status } : {}),
  });
}
