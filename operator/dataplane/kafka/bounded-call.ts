/**
 * Deadlines and cancellation for kafkajs admin calls. kafkajs takes no AbortSignal, and its
 * requestTimeout does not end a connect to a broker that accepts TCP and never answers (ApiVersions
 * is retried), so each call is raced against its deadline and the caller's signal. The loser keeps
 * running inside kafkajs until the pool disconnects its client (see ./admin-pool.ts).
 */
import { KafkaCallAbortedError, KafkaCallTimeoutError } from './errors.js';

export interface CallBounds {
  /** Which broker set, for the message: "Kafka brokers a:9092,b:9092 did not answer ...". */
  brokers: string;
  /** The most one call may wait. */
  callTimeoutMs: number;
  /** Monotonic ms after which no call may still wait (the whole admin session's budget). */
  deadlineAt: number;
  signal?: AbortSignal | undefined;
  now: () => number;
}

function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason.message : String(reason);
}

function aborted(what: string, bounds: CallBounds, signal: AbortSignal): KafkaCallAbortedError {
  return new KafkaCallAbortedError(
    `Kafka ${what} to brokers ${bounds.brokers} cancelled: ${abortReason(signal)}`,
  );
}

export function throwIfAborted(what: string, bounds: CallBounds): void {
  if (bounds.signal?.aborted) throw aborted(what, bounds, bounds.signal);
}

/**
 * Runs `call` and settles with it, or rejects with KafkaCallTimeoutError when the deadline passes
 * first, or with KafkaCallAbortedError as soon as the signal aborts. Never waits past either.
 */
export async function boundedCall<T>(what: string, bounds: CallBounds, call: () => Promise<T>): Promise<T> {
  const { signal } = bounds;
  throwIfAborted(what, bounds);
  const waitMs = Math.min(bounds.callTimeoutMs, bounds.deadlineAt - bounds.now());
  if (waitMs <= 0) {
    throw new KafkaCallTimeoutError(
      `Kafka brokers ${bounds.brokers}: no time left for ${what} (admin budget spent)`,
    );
  }
  const running = call();
  // The abandoned call may still reject later; that rejection is expected and handled here.
  running.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const cut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new KafkaCallTimeoutError(
          `Kafka brokers ${bounds.brokers} did not answer ${what} within ${waitMs} ms`,
        ),
      );
    }, waitMs);
    if (signal) {
      onAbort = () => reject(aborted(what, bounds, signal));
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([running, cut]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}
