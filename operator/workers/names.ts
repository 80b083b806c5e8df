/**
 * Names of a fleet's background-worker objects, in one place: the WorkersComponent, the lag reader
 * (operator/workers/lag) and the worker pods' env all derive them here, so the group whose lag the
 * operator reads is the group the worker pods join. PURE.
 */
import type { ChatbotDeployment } from '../api/index.js';
import { crName, crNamespace } from '../workload/labels.js';

type WithMetadata = Pick<ChatbotDeployment, 'metadata'>;

/** The worker pods' Kafka consumer group (env KAFKA_TASKS_GROUP): `<ns>.<name>.workers`. */
export function workerGroupId(cbd: WithMetadata): string {
  return `${crNamespace(cbd)}.${crName(cbd)}.workers`;
}

/** The worker Deployment and its PodDisruptionBudget: `<name>-worker`. */
export function workerObjectName(cbd: WithMetadata): string {
  return `${crName(cbd)}-worker`;
}
