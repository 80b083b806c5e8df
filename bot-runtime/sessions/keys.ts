import { createHash } from 'node:crypto';

/** Session ids are client-visible; this pattern keeps them safe inside Redis keys and URLs. */
export const SESSION_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
const SESSION_ID_RE = new RegExp(SESSION_ID_PATTERN);

export function isValidSessionId(id: string): boolean {
  return SESSION_ID_RE.test(id);
}

/**
 * All keys of one session share the hash tag {sess:<id>}, so in Redis Cluster they live in one
 * slot and the per-turn Lua scripts (multi-key) are allowed; `pin` is the rollout pin (a hash
 * of track and version); different sessions spread over shards.
 */
export function sessionKeys(sessionId: string): { turns: string; seq: string; pin: string } {
  const tag = `cf:{sess:${sessionId}}`;
  return { turns: `${tag}:turns`, seq: `${tag}:seq`, pin: `${tag}:pin` };
}

/** Fixed-window rate-limit counter of one user; the user id is hashed (it may be any string). */
export function rateLimitKey(userId: string, windowStartSeconds: number): string {
  const digest = createHash('sha256').update(userId).digest('base64url').slice(0, 22);
  return `cf:{rl:${digest}}:${windowStartSeconds}`;
}

/** Marks a background task done (worker idempotency). */
export function taskDoneKey(taskId: string): string {
  const digest = createHash('sha256').update(taskId).digest('base64url').slice(0, 27);
  return `cf:task:${digest}`;
}
