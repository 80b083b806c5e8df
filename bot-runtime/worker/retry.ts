/**
 * The retry schedule of a task: pure, with the clock and the random source injected. Exponential
 * backoff with full jitter (a uniform delay between 0 and the exponential cap): retries of many
 * tasks that failed together (a receiver that went down) spread out instead of returning in step.
 */

export interface RetryPolicy {
  /** Attempts in all (the first one included) before the task goes to the DLQ. */
  maxAttempts: number;
  /** The cap of the first retry's delay; each further retry doubles it. */
  baseDelayMs: number;
  /** The largest cap. */
  maxDelayMs: number;
}

/** What one attempt at a task came to. */
export type AttemptOutcome =
  | { kind: 'done' }
  | { kind: 'duplicate' }
  /** Worth another try (network error, timeout, 5xx, 429, Redis or LLM trouble). */
  | { kind: 'retryable'; reason: string }
  /** No try will ever succeed (a 4xx, an unknown webhook, an unparseable task). */
  | { kind: 'permanent'; reason: string };

export type NextStep =
  | { step: 'finish'; result: 'done' | 'duplicate' }
  | { step: 'retry'; atMs: number; delayMs: number }
  | { step: 'dead-letter'; reason: string; attempts: number };

/** The delay before retry number `failures` (1 after the first failure): random() * min(max, base * 2^(failures-1)). */
export function backoffDelayMs(policy: RetryPolicy, failures: number, random: () => number): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30); // 2^30 * base is past any cap
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * cap);
}

/** After attempt number `attempt` (1-based) came to `outcome` at `nowMs`: finish, retry when, or dead-letter. */
export function nextStep(
  outcome: AttemptOutcome,
  attempt: number,
  policy: RetryPolicy,
  nowMs: number,
  random: () => number,
): NextStep {
  if (outcome.kind === 'done' || outcome.kind === 'duplicate')
    return { step: 'finish', result: outcome.kind };
  if (outcome.kind === 'permanent') return { step: 'dead-letter', reason: outcome.reason, attempts: attempt };
  if (attempt >= policy.maxAttempts) {
    return {
      step: 'dead-letter',
      reason: `gave up after ${attempt} attempts: ${outcome.reason}`,
      attempts: attempt,
    };
  }
  const delayMs = backoffDelayMs(policy, attempt, random);
  return { step: 'retry', atMs: nowMs + delayMs, delayMs };
}
