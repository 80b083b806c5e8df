/**
 * The per-pod view of the fleet-wide rate-limit windows (pure: the clock and the Redis sync are
 * the caller's). Counting every request in Redis cost the fast path an extra round trip per turn
 * (a fifth of its throughput on a saturated 2-core machine), so a pod counts locally and syncs
 * each identity at most every `syncMs`: a request whose identity was synced within `syncMs` is
 * decided on the window's last known total plus what this pod admitted since; otherwise it waits
 * for a sync that adds those and returns the new total. Exact on one pod; across pods a window
 * may exceed the limit by what the other pods admitted within their last `syncMs`. Hits admitted
 * locally reach Redis with the identity's next sync (an identity that goes quiet leaves at most
 * `syncMs` of them uncounted there).
 */
export interface WindowCountsOptions {
  perMinute: number;
  syncMs: number;
  /** Identities tracked at once (memory bound); beyond it every request syncs (exact, slower). */
  maxIdentities: number;
}

interface Entry {
  window: number;
  /** The window's total in Redis at the last sync (every pod's requests). */
  known: number;
  /** Requests this pod admitted since, not yet added in Redis. */
  pending: number;
  syncedAt: number;
  syncing: boolean;
}

/** What to do with one request. `sync`: add `hits` in Redis, then call synced() with the total. */
export type Step = { kind: 'allowed' } | { kind: 'limited' } | { kind: 'sync'; window: number; hits: number };

export class WindowCounts {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly opts: WindowCountsOptions) {}

  /** The one-minute window of `nowMs`, as its start in seconds (the Redis key's suffix). */
  static windowOf(nowMs: number): number {
    return Math.floor(nowMs / 60_000) * 60;
  }

  request(identity: string, nowMs: number, monotonicMs: number): Step {
    const window = WindowCounts.windowOf(nowMs);
    let entry = this.entries.get(identity);
    if (entry && entry.window !== window) entry = undefined;
    if (!entry) {
      if (!this.makeRoom(window)) return { kind: 'sync', window, hits: 1 };
      entry = { window, known: 0, pending: 0, syncedAt: -Infinity, syncing: false };
      this.entries.set(identity, entry);
    }
    if (entry.known + entry.pending >= this.opts.perMinute) return { kind: 'limited' };
    const fresh = monotonicMs - entry.syncedAt < this.opts.syncMs;
    if (fresh || entry.syncing) {
      entry.pending += 1;
      return { kind: 'allowed' };
    }
    entry.syncing = true;
    const hits = entry.pending + 1;
    entry.pending = 0;
    return { kind: 'sync', window, hits };
  }

  /** The sync of `identity` answered: `total` is the window's count after adding the hits. */
  synced(identity: string, window: number, total: number, monotonicMs: number): boolean {
    const entry = this.entries.get(identity);
    if (entry && entry.window === window) {
      entry.known = total;
      entry.syncedAt = monotonicMs;
      entry.syncing = false;
    }
    return total <= this.opts.perMinute;
  }

  /** The sync failed: the hits stay pending (added at the next sync), the identity syncs again. */
  failed(identity: string, window: number, hits: number): void {
    const entry = this.entries.get(identity);
    if (entry && entry.window === window) {
      entry.pending += hits;
      entry.syncing = false;
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** Drops entries of past windows when full; false if it is still full. */
  private makeRoom(window: number): boolean {
    if (this.entries.size < this.opts.maxIdentities) return true;
    for (const [identity, e] of this.entries)
      if (e.window !== window && !e.syncing) this.entries.delete(identity);
    return this.entries.size < this.opts.maxIdentities;
  }
}
