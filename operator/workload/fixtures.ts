import { withDefaults } from '../api/index.js';
import type { ChatbotDeploymentSpecInput } from '../api/index.js';
import type { ChatbotDeployment } from './types.js';

type SpecOverrides = { [K in keyof ChatbotDeploymentSpecInput]?: ChatbotDeploymentSpecInput[K] };

/** A CR with only the required fields (plus overrides), defaulted exactly like the API server. */
export function minimalCr(overrides: SpecOverrides = {}): ChatbotDeployment {
  return withDefaults({
    apiVersion: 'chatfleet.io/v1alpha1',
    kind: 'ChatbotDeployment',
    metadata: { name: 'support', namespace: 'team-a', uid: 'uid-1', generation: 3 },
    spec: {
      runtime: { image: 'registry.local/bot:1.0' },
      model: { name: 'support-bot', version: 'v7' },
      ...overrides,
    },
  });
}
