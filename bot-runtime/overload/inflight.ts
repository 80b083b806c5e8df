/**
 * Per-process limit of turns in flight. Beyond it a turn is refused at once (503 + Retry-After)
 * instead of queueing until every request times out; the autoscaler sees the in-flight gauge.
 */
export class InflightLimiter {
  private current = 0;

  constructor(private readonly max: number) {}

  get inflight(): number {
    return this.current;
  }

  get limit(): number {
    return this.max;
  }

  /** Takes a slot if one is free; the caller must release() exactly once when it got true. */
  tryAcquire(): boolean {
    if (this.current >= this.max) return false;
    this.current += 1;
    return true;
  }

  release(): void {
    if (this.current > 0) this.current -= 1;
  }
}

/** Seconds a shed client should wait: short, since one pod frees slots within a turn's latency. */
export const RETRY_AFTER_SECONDS = 1;
