/**
 * Labels of the worker objects and pods. The pods share the fleet's instance label (so their events
 * enqueue the fleet, operator/controller/fleet-wiring.ts ownerKey) but not its app.kubernetes.io/name:
 * the chat Services and PodDisruptionBudget select name + instance (operator/workload/labels.ts), and
 * a worker pod must never receive chat traffic, count against the chat PDB or be sized by the chat
 * autoscaler (which counts pods with name=chatbot only). PURE.
 */
import { FIELD_MANAGER, LABEL_INSTANCE, LABEL_MANAGED_BY, LABEL_NAME, crName } from '../workload/labels.js';
import type { ChatbotDeployment } from '../workload/types.js';

export const WORKER_APP_NAME = 'chatbot-worker';
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
export const WORKER_COMPONENT = 'worker';

/** The worker Deployment's selector (immutable, so nothing that may change). */
export function workerSelectorLabels(cbd: ChatbotDeployment): Record<string, string> {
  return { [LABEL_NAME]: WORKER_APP_NAME, [LABEL_INSTANCE]: crName(cbd) };
}

/** On the worker Deployment, its PDB and its pods. */
export function workerLabels(cbd: ChatbotDeployment): Record<string, string> {
  return {
    ...workerSelectorLabels(cbd),
    [LABEL_COMPONENT]: WORKER_COMPONENT,
    [LABEL_MANAGED_BY]: FIELD_MANAGER,
  };
}
