/** A Redis step that did not settle within its budget; the turn continues degraded. */
export class RedisDeadlineError extends Error {
  constructor(
    readonly operation: string,
    readonly ms: number,
  ) {
    super(`redis ${operation} exceeded ${ms} ms`);
    this.name = 'RedisDeadlineError';
  }
}

/**
 * Settles with `work`, or rejects with RedisDeadlineError after `ms`. ioredis' commandTimeout only
 * starts once a command is written to a socket; a Cluster pipeline/MULTI with no slot map waits in
 * its ready queue without limit (no offline-queue check there), so every step needs its own bound.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, operation: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new RedisDeadlineError(operation, ms)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
