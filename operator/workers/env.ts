/**
 * The worker container's env (CONTRACT.md "Env the operator sets on worker pods"). Non-secret runtime
 * settings come from the fleet's `<name>-runtime` ConfigMap (envFrom, as on the bots); on the container:
 * the worker's own settings, the same Redis/Kafka wiring as the bots (operator/dataplane env.ts, not a
 * copy), the LLM key (summaries), each webhook's signing key by secretKeyRef (under the name the runtime
 * reads it by: its own webhookSecretVariable), then spec.runtime.env,
 * which wins on a name clash as it does on the bots. PURE.
 */
import { webhookSecretVariable } from '../../bot-runtime/config/worker.js';
import { dataPlaneEnv, topicOf } from '../dataplane/index.js';
import { lastByName, secretEnv } from '../workload/pod-template.js';
import type { ChatbotDeployment, EnvVar } from '../workload/types.js';
import { workerGroupId } from './names.js';

/** The worker's metrics and probe port (the runtime's WORKER_PORT; the chat port stays 8080). */
export const WORKER_PORT = 8081;

type Webhook = NonNullable<ChatbotDeployment['spec']['workers']['webhooks']>[number];

/** WORKER_WEBHOOKS: what the worker needs to deliver, without the keys (those come from Secrets). */
export function webhooksJson(webhooks: readonly Webhook[]): string {
  return JSON.stringify(
    webhooks.map((w) => ({
      name: w.name,
      url: w.url,
      maxAttempts: w.maxAttempts,
      timeoutMs: w.timeoutSeconds * 1000,
    })),
  );
}

function webhookEnv(webhooks: readonly Webhook[]): EnvVar[] {
  if (webhooks.length === 0) return [];
  return [
    { name: 'WORKER_WEBHOOKS', value: webhooksJson(webhooks) },
    ...webhooks.flatMap((w) => secretEnv(webhookSecretVariable(w.name), w.secretRef)),
  ];
}

/** The tasks' dead-letter topic (the default <ns>.<name>.tasks.dlq, or the listed topic of purpose dlq). */
function dlqEnv(cbd: ChatbotDeployment): EnvVar[] {
  const dlq = topicOf(cbd, 'dlq');
  return dlq ? [{ name: 'KAFKA_DLQ_TOPIC', value: dlq }] : [];
}

export function workerEnv(cbd: ChatbotDeployment): EnvVar[] {
  const { workers, runtime } = cbd.spec;
  const ordered: EnvVar[] = [
    { name: 'WORKER_PORT', value: String(WORKER_PORT) },
    { name: 'WORKER_CONCURRENCY', value: String(workers.concurrency) },
    { name: 'KAFKA_TASKS_GROUP', value: workerGroupId(cbd) },
    // Same shape; the data plane types it with client-node's looser V1EnvVar.
    ...(dataPlaneEnv(cbd) as EnvVar[]),
    ...dlqEnv(cbd),
    ...secretEnv('LLM_API_KEY', runtime.llm?.apiKeySecretRef),
    ...webhookEnv(workers.webhooks ?? []),
    ...(runtime.env ?? []),
  ];
  return lastByName(ordered);
}
