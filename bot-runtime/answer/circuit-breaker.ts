/**
 * Circuit breaker for the LLM backend. Closed: calls pass, consecutive failures are counted.
 * After `failureThreshold` consecutive failures it opens: calls are rejected at once for
 * `cooldownMs`. Then it is half-open: one probe call passes; success closes it, failure reopens.
 * Only backend unhealthiness is a failure (the caller decides: 5xx, timeouts, connection errors);
 * a call that the backend refused for its own content (4xx) is `neutral()`, so callers cannot
 * open the breaker for everyone with bad prompts, nor reset the count of real failures with them.
 * Pure: the clock is injected, so tests drive time.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  failureThreshold: number;
  cooldownMs: number;
  now: () => number;
}

export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private opened = false;
  private probeInFlight = false;

  constructor(private readonly opts: BreakerOptions) {}

  get state(): BreakerState {
    if (!this.opened) return 'closed';
    return this.opts.now() - this.openedAt >= this.opts.cooldownMs ? 'half-open' : 'open';
  }

  /** Asks permission for one call; a true answer must be followed by success() or failure(). */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.probeInFlight) return false;
    this.probeInFlight = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.opened = false;
    this.probeInFlight = false;
  }

  /**
   * The call ended without telling anything about the backend's health (it answered, but refused
   * this request): the count of consecutive failures is kept as it is, and a half-open probe slot
   * is handed back so the next call probes.
   */
  neutral(): void {
    this.probeInFlight = false;
  }

  failure(): void {
    this.probeInFlight = false;
    this.failures += 1;
    if (this.opened || this.failures >= this.opts.failureThreshold) {
      this.opened = true;
      this.openedAt = this.opts.now();
    }
  }
}
