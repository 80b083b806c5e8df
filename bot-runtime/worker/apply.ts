import type { LlmBackend } from '../answer/llm-client.js';
import { normalise } from '../classifier/normalise.js';
import type { WebhookConfig } from '../config.js';
import { errorMessage } from '../errors.js';
import type { RedisClient } from '../redis/redis-client.js';
import { sessionKeyList, type FleetKeys } from '../sessions/keys.js';
import type { SummaryStore } from '../sessions/summary-store.js';
import type { Task } from '../tasks/task.js';
import type { AttemptOutcome } from './retry.js';
import { runSummarize } from './summarize.js';
import { deliverWebhook } from './webhook.js';

const DONE_TTL_SECONDS = 7 * 24 * 3600;

export interface TaskEffects {
  redis: RedisClient;
  keys: FleetKeys;
  summaries: SummaryStore;
  llm: LlmBackend | undefined;
  webhooks: ReadonlyMap<string, WebhookConfig>;
  now: () => number;
}

/** `sessionId` is valid: parseTask refused any other (DLQ). */
async function deleteSession(fx: TaskEffects, sessionId: string): Promise<void> {
  await fx.redis.del(...sessionKeyList(fx.keys.session(sessionId))); // one hash tag: one slot, legal in Cluster
}

/** The task's effect; retryable when Redis failed (cache.put and session.delete are idempotent in themselves). */
async function effect(fx: TaskEffects, task: Task): Promise<AttemptOutcome> {
  switch (task.type) {
    case 'cache.put': {
      const key = fx.keys.answer(task.modelVersion, normalise(task.question));
      await fx.redis.set(key, task.answer, 'EX', task.ttlSeconds ?? 3600);
      return { kind: 'done' };
    }
    case 'session.delete':
      await deleteSession(fx, task.sessionId);
      return { kind: 'done' };
    case 'summarize':
      return runSummarize(task, fx.summaries, fx.llm);
    case 'webhook': {
      const hook = fx.webhooks.get(task.webhook);
      if (!hook) return { kind: 'permanent', reason: `unknown webhook ${JSON.stringify(task.webhook)}` };
      return deliverWebhook(hook, task, fx.now());
    }
  }
}

/**
 * One attempt at a task; never throws. The done-marker (by task id) skips a task already done, so
 * a redelivery has no second effect. Where the effect and its "done" can be one write they are
 * (a summary records its end in the session itself); elsewhere the marker follows the effect, and
 * a worker that dies between the two repeats an effect that is idempotent on its own (a cache put,
 * a delete) or carries the task id (a webhook's Idempotency-Key).
 */
export async function attemptTask(fx: TaskEffects, task: Task): Promise<AttemptOutcome> {
  const doneKey = fx.keys.taskDone(task.id);
  try {
    if ((await fx.redis.exists(doneKey)) === 1) return { kind: 'duplicate' };
    const outcome = await effect(fx, task);
    if (outcome.kind === 'done') await fx.redis.set(doneKey, '1', 'EX', DONE_TTL_SECONDS);
    return outcome;
  } catch (err) {
    return { kind: 'retryable', reason: `redis: ${errorMessage(err)}` };
  }
}
