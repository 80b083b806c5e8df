/**
 * Name and namespace of a ChatbotDeployment, as strings (the fleet key: operator/controller/fleet-key.ts). The generated type has them optional
 * (V1ObjectMeta); a CR read from the API server always has both, so '' only appears for an object
 * built by hand.
 */
import type { ChatbotDeployment } from './types.js';

type WithMetadata = Pick<ChatbotDeployment, 'metadata'>;

export function nameOf(cbd: WithMetadata): string {
  return cbd.metadata.name ?? '';
}

export function namespaceOf(cbd: WithMetadata): string {
  return cbd.metadata.namespace ?? '';
}
