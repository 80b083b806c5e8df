// A ChatbotDeployment for tests and simulations: only the required fields plus what the caller sets,
// defaulted by the CRD's own schema exactly like the API server stores it.
import { withDefaults } from './defaults.js';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { ChatbotDeployment, ChatbotDeploymentSpecInput } from './generated/chatbotdeployment.js';

export type SpecOverrides = Partial<ChatbotDeploymentSpecInput>;

export function defaultedCbd(spec: SpecOverrides = {}, metadata: V1ObjectMeta = {}): ChatbotDeployment {
  return withDefaults({
    apiVersion: 'chatfleet.io/v1alpha1',
    kind: 'ChatbotDeployment',
    metadata: { namespace: 'shop', name: 'helpdesk', ...metadata },
    spec: {
      runtime: { image: 'registry.local/bot:1.0' },
      model: { name: 'helpdesk-bot', version: 'v1' },
      ...spec,
    },
  });
}
