import type { WebhookConfig } from '../config.js';
import { errorMessage } from '../errors.js';
import type { Task } from '../tasks/task.js';
import type { AttemptOutcome } from './retry.js';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signBody } from './signature.js';

type WebhookTask = Extract<Task, { type: 'webhook' }>;

/** A receiver's reply body is read up to this much, then dropped: nobody can make the worker buffer more. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * The body a webhook receives: the turn's facts, never its text (a CRM that needs the words asks
 * GET /v1/sessions/:id with its own credentials). The same bytes on every attempt, so a receiver
 * can compare deliveries by Idempotency-Key.
 */
export function webhookBody(task: WebhookTask): string {
  const { id, webhook, sessionId, intent, turn, modelVersion, at } = task;
  return JSON.stringify({ id, type: 'webhook', webhook, sessionId, intent, turn, modelVersion, at });
}

/** 2xx delivered; 408, 429 and 5xx may pass later; any other status never will. Pure. */
export function statusOutcome(status: number): AttemptOutcome {
  if (status >= 200 && status < 300) return { kind: 'done' };
  if (status === 408 || status === 429 || status >= 500)
    return { kind: 'retryable', reason: `HTTP ${status}` };
  return { kind: 'permanent', reason: `HTTP ${status}` };
}

/** A redirect is refused (redirect: 'error'): the URL is wrong, and following it could leak the body elsewhere. */
function isRedirectRefusal(err: unknown): boolean {
  const cause = (err as { cause?: unknown } | null)?.cause;
  return /redirect/i.test(errorMessage(cause ?? err));
}

async function drainBounded(res: Response): Promise<void> {
  const reader = res.body?.getReader();
  if (!reader) return;
  let read = 0;
  try {
    while (read <= MAX_RESPONSE_BYTES) {
      const chunk = await reader.read();
      if (chunk.done) return;
      read += (chunk.value as Uint8Array).byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** One delivery attempt: POST, signed now; never throws. */
export async function deliverWebhook(
  hook: WebhookConfig,
  task: WebhookTask,
  nowMs: number,
): Promise<AttemptOutcome> {
  const body = webhookBody(task);
  const timestamp = Math.floor(nowMs / 1000);
  try {
    const res = await fetch(hook.url, {
      method: 'POST',
      redirect: 'error',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'chatfleet-worker',
        [IDEMPOTENCY_HEADER]: task.id,
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: signBody(hook.secret, timestamp, body),
      },
      body,
      signal: AbortSignal.timeout(hook.timeoutMs),
    });
    await drainBounded(res);
    return statusOutcome(res.status);
  } catch (err) {
    if (isRedirectRefusal(err)) return { kind: 'permanent', reason: 'redirect refused' };
    const timeout = (err as { name?: unknown } | null)?.name === 'TimeoutError';
    return { kind: 'retryable', reason: timeout ? `timeout after ${hook.timeoutMs} ms` : 'network error' };
  }
}
