import type { Clock, TimerHandle } from './clock.js';

/**
 * A rate-limited work queue with the semantics of client-go's workqueue:
 * - a key is queued at most once (dedup), however often it is added;
 * - a key being processed is never handed to a second worker; adding it meanwhile marks it
 *   dirty and it is queued again when `done` is called;
 * - `addRateLimited` delays a key by the larger of its own exponential backoff and a global
 *   token bucket (client-go's MaxOfRateLimiter), `forget` resets the key's backoff.
 */
export interface RateLimiterOptions {
  /** First per-key retry delay. */
  baseDelayMs: number;
  /** Cap of the per-key delay. */
  maxDelayMs: number;
  /** Global retries per second, sustained. */
  qps: number;
  /** Global burst of retries before the bucket throttles. */
  burst: number;
}

export const defaultRateLimiter: RateLimiterOptions = {
  baseDelayMs: 5,
  maxDelayMs: 15 * 60_000,
  qps: 10,
  burst: 100,
};

/** Per-key exponential backoff: base * 2^failures, capped. */
export class ExponentialBackoff {
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly baseDelayMs: number,
    private readonly maxDelayMs: number,
  ) {}

  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // 2^n overflows to Infinity long after the cap applies; Math.min keeps it finite.
    return Math.min(this.baseDelayMs * 2 ** n, this.maxDelayMs);
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }
}

/** Global token bucket: returns how long the caller must wait for its reserved token. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly qps: number,
    private readonly burst: number,
    private readonly clock: Clock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  reserve(): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    this.tokens -= 1;
    // A negative balance is a debt paid back at qps: that is the wait for this reservation.
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  /** When each in-flight key was handed out (clock ms), for the liveness check. */
  private readonly startedAt = new Map<string, number>();
  private readonly dirty = new Set<string>();
  private readonly delayed = new Map<string, { at: number; handle: TimerHandle }>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private readonly backoff: ExponentialBackoff;
  private readonly bucket: TokenBucket;
  private shuttingDown = false;

  constructor(
    private readonly clock: Clock,
    limiter: RateLimiterOptions = defaultRateLimiter,
  ) {
    this.backoff = new ExponentialBackoff(limiter.baseDelayMs, limiter.maxDelayMs);
    this.bucket = new TokenBucket(limiter.qps, limiter.burst, clock);
  }

  add(key: string): void {
    if (this.shuttingDown || this.queued.has(key)) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      this.processing.add(key);
      this.startedAt.set(key, this.clock.now());
      waiter(key);
      return;
    }
    this.queued.add(key);
    this.queue.push(key);
  }

  /** Adds the key after `ms`; an earlier pending deadline for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + ms;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) this.clock.clearTimeout(pending.handle);
    const handle = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, handle });
  }

  /** Requeues a failed key after max(per-key backoff, global bucket delay); returns that delay. */
  addRateLimited(key: string): number {
    const delay = Math.max(this.backoff.when(key), this.bucket.reserve());
    this.addAfter(key, delay);
    return delay;
  }

  forget(key: string): void {
    this.backoff.forget(key);
  }

  retries(key: string): number {
    return this.backoff.retries(key);
  }

  /** Resolves with the next key (now marked in flight), or undefined once shut down. */
  get(): Promise<string | undefined> {
    // On shutdown queued keys are dropped, not drained: whoever leads next relists everything.
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) {
      this.queued.delete(key);
      this.processing.add(key);
      this.startedAt.set(key, this.clock.now());
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks a key finished; if it was added while in flight it is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    this.startedAt.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  /** Keys waiting to be processed (not counting in-flight or delayed keys). */
  length(): number {
    return this.queue.length;
  }

  inFlight(): number {
    return this.processing.size;
  }

  /** The in-flight key handed out longest ago and for how long (ms); undefined when none is in flight. */
  oldestInFlight(): { key: string; ms: number } | undefined {
    let oldest: { key: string; ms: number } | undefined;
    const now = this.clock.now();
    for (const [key, at] of this.startedAt)
      if (!oldest || now - at > oldest.ms) oldest = { key, ms: now - at };
    return oldest;
  }

  shutdown(): void {
    this.shuttingDown = true;
    for (const { handle } of this.delayed.values()) this.clock.clearTimeout(handle);
    this.delayed.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }
}
