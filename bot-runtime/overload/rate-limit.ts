import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { SessionStore } from '../sessions/session-store.js';

/** `unavailable`: Redis could not count (fail open: an outage must not block chat). */
export type RateVerdict = 'allowed' | 'limited' | 'unavailable';

/**
 * Who a request is counted against: the authenticated principal, else the client address
 * (fastify's req.ip: X-Forwarded-For counts only when the peer is one of TRUSTED_PROXIES). Never
 * the body's userId: a caller chooses that, so leaving it out or rotating it dodged the limit.
 */
export function rateIdentity(principal: string | undefined, clientIp: string): string {
  return principal ?? `ip:${clientIp}`;
}

/**
 * The per-identity limit of RATE_LIMIT_PER_MINUTE, for every request a client sends: HTTP turns,
 * WebSocket frames and session reads. Counted once, by the pod the client reached (a forwarded
 * turn is not counted again), in a fixed one-minute window in Redis, so it holds across pods.
 */
export class RateLimiter {
  private lastWarnAt = -Infinity;

  constructor(
    private readonly store: SessionStore | undefined,
    private readonly perMinute: number,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  async check(identity: string): Promise<RateVerdict> {
    if (!this.store || this.perMinute <= 0) return 'allowed';
    try {
      if (await this.store.allowHit(identity, this.perMinute, this.now())) return 'allowed';
      this.metrics.turnsShed.inc({ reason: 'rate_limit' });
      return 'limited';
    } catch (err) {
      this.metrics.sessionErrors.inc({ operation: 'rate_limit' });
      if (performance.now() - this.lastWarnAt > 10_000) {
        this.lastWarnAt = performance.now();
        this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'rate limit unavailable');
      }
      return 'unavailable';
    }
  }
}
