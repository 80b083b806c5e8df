import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { SessionStore } from '../sessions/session-store.js';
import { WindowCounts } from './window-counts.js';
import { errorMessage } from '../errors.js';

/** `unavailable`: Redis could not count (fail open: an outage must not block chat). */
export type RateVerdict = 'allowed' | 'limited' | 'unavailable';

/** How long a pod decides an identity's requests on its last synced total (window-counts.ts). */
const SYNC_MS = 50;
/** Identities a pod tracks at once; beyond it each request of a new one is counted in Redis. */
const MAX_IDENTITIES = 50_000;

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
 * turn is not counted again), in a fixed one-minute window in Redis shared by every pod, synced
 * at most every 50 ms per identity (WindowCounts).
 */
export class RateLimiter {
  private lastWarnAt = -Infinity;
  private readonly counts: WindowCounts;

  constructor(
    private readonly store: SessionStore | undefined,
    private readonly perMinute: number,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly monotonicNow: () => number = () => performance.now(),
  ) {
    this.counts = new WindowCounts({ perMinute, syncMs: SYNC_MS, maxIdentities: MAX_IDENTITIES });
  }

  async check(identity: string): Promise<RateVerdict> {
    if (!this.store || this.perMinute <= 0) return 'allowed';
    const step = this.counts.request(identity, this.now(), this.monotonicNow());
    if (step.kind === 'sync') return this.sync(this.store, identity, step.window, step.hits);
    return step.kind === 'limited' ? this.limited() : 'allowed';
  }

  private async sync(
    store: SessionStore,
    identity: string,
    window: number,
    hits: number,
  ): Promise<RateVerdict> {
    let total;
    try {
      total = await store.countHits(identity, window, hits);
    } catch (err) {
      this.counts.failed(identity, window, hits);
      this.metrics.sessionErrors.inc({ operation: 'rate_limit' });
      if (this.monotonicNow() - this.lastWarnAt > 10_000) {
        this.lastWarnAt = this.monotonicNow();
        this.log.warn({ err: errorMessage(err) }, 'rate limit unavailable');
      }
      return 'unavailable';
    }
    return this.counts.synced(identity, window, total, this.monotonicNow()) ? 'allowed' : this.limited();
  }

  private limited(): RateVerdict {
    this.metrics.turnsShed.inc({ reason: 'rate_limit' });
    return 'limited';
  }
}
