/**
 * How long deleting a CR waits for its topics. PURE (clock injected as `now`).
 *
 * The bound is measured from metadata.deletionTimestamp, which the API server sets once: it survives
 * operator restarts and leader changes, so a deletion cannot be held forever by restarting retries.
 * (It is the API server's clock against the operator's; skew shifts the bound by that much.)
 */
import { MAX_UNAVAILABLE_RETRY_MS, MIN_UNAVAILABLE_RETRY_MS } from './status.js';

/** Default of --topic-deletion-timeout-seconds. */
export const DEFAULT_TOPIC_DELETION_TIMEOUT_MS = 300_000;

export interface DeletionTiming {
  /** The bound has passed: release the finalizer and report the topics left behind. */
  giveUp: boolean;
  /** When to try again (only meaningful when giveUp is false); never past the bound. */
  retryAfterMs: number;
  elapsedMs: number;
}

function timestampMs(value: string | Date | undefined): number {
  if (value instanceof Date) return value.getTime();
  return value === undefined ? Number.NaN : Date.parse(value);
}

/**
 * Retries back off like the reconcile's (the time since deletion, clamped to 5 s..60 s) but never
 * past the bound. A missing or unparsable deletionTimestamp gives up at once: finalize only runs on
 * a CR being deleted, and an unknown start must not turn into "retry forever".
 */
export function deletionTiming(
  deletionTimestamp: string | Date | undefined,
  now: Date,
  timeoutMs: number,
): DeletionTiming {
  const since = timestampMs(deletionTimestamp);
  if (!Number.isFinite(since)) return { giveUp: true, retryAfterMs: 0, elapsedMs: Number.NaN };
  const elapsedMs = Math.max(0, now.getTime() - since);
  const remaining = timeoutMs - elapsedMs;
  if (remaining <= 0) return { giveUp: true, retryAfterMs: 0, elapsedMs };
  const backoff = Math.min(MAX_UNAVAILABLE_RETRY_MS, Math.max(MIN_UNAVAILABLE_RETRY_MS, elapsedMs));
  return { giveUp: false, retryAfterMs: Math.min(backoff, remaining), elapsedMs };
}
