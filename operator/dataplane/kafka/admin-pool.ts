/**
 * One connected kafkajs admin client per broker set and credentials, shared by every CR that uses
 * them, instead of a connect and disconnect per reconcile. Clients leave the pool when idle, when
 * the pool is full (least recently used), and when a call on them failed or hung; the next call then
 * connects afresh. A client that leaves while someone holds it is disconnected at the last release
 * (reference counted), unless it hung: then it is disconnected at once, so no socket keeps waiting.
 *
 * Decisions (keys, which entry to evict) are in ./admin-pool-policy.ts; this file is the plumbing.
 */
import { performance } from 'node:perf_hooks';
import type { Admin } from 'kafkajs';
import type { KafkaAdminPoolMetrics } from '../../metrics.js';
import { adminPoolKey, brokerSet, idleVictims, lruVictims } from './admin-pool-policy.js';
import type { AdminTarget, PoolLimits } from './admin-pool-policy.js';
import { isKafkaUnavailable, KafkaCallAbortedError, KafkaCallTimeoutError } from './errors.js';

export type { AdminTarget } from './admin-pool-policy.js';

export const DEFAULT_ADMIN_IDLE_MS = 5 * 60_000;
export const DEFAULT_ADMIN_POOL_SIZE = 64;
/** How often idle clients are looked for when no call comes (an unref'd timer). */
const SWEEP_EVERY_MS = 30_000;
/** close() waits at most this long for kafkajs to finish disconnecting (well inside the shutdown budgets). */
const CLOSE_WAIT_MS = 2_000;

export type EvictReason = 'idle' | 'lru' | 'error' | 'timeout' | 'aborted' | 'close';

/** An unconnected admin client, and a way to drop its sockets at once (kafkajs cannot). */
export interface PooledClient {
  admin: Admin;
  /** Destroys every socket the client opened; a connect waiting on a hung broker ends with it. */
  destroySockets(): void;
}

export interface KafkaAdminPoolOptions {
  /** Builds an unconnected admin client for a target (see kafkaAdminFactory in ./admin-client.ts). */
  createAdmin: (target: AdminTarget) => PooledClient;
  idleMs?: number;
  maxEntries?: number;
  /** Monotonic milliseconds; injected in tests. */
  now?: () => number;
  /** 0 disables the background sweep (tests drive sweep() with their clock). */
  sweepEveryMs?: number;
  metrics?: KafkaAdminPoolMetrics;
}

interface Entry {
  key: string;
  client: PooledClient;
  /** The one connect of this client, shared by its leases. */
  connected: Promise<void>;
  users: number;
  lastUsedMs: number;
  /** Still reachable through the map (false once evicted). */
  pooled: boolean;
  disconnected: boolean;
}

/** One use of a pooled client; end it exactly once with release() or discard(). */
export interface AdminLease {
  readonly admin: Admin;
  /** The sorted broker set, for messages. */
  readonly brokers: string;
  /** Resolves when the client is connected; rejects when connecting failed. */
  readonly connected: Promise<void>;
  release(): void;
  /**
   * The client failed or hung: it leaves the pool so the next call reconnects. `now` disconnects it
   * even while others hold it (a hung broker would hang them too); otherwise at the last release.
   */
  discard(reason: EvictReason, now: boolean): void;
}

export class KafkaAdminPool {
  private readonly entries = new Map<string, Entry>();
  private readonly disconnecting = new Set<Promise<void>>();
  private readonly limits: PoolLimits;
  private readonly now: () => number;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly opts: KafkaAdminPoolOptions) {
    this.limits = {
      idleMs: opts.idleMs ?? DEFAULT_ADMIN_IDLE_MS,
      maxEntries: opts.maxEntries ?? DEFAULT_ADMIN_POOL_SIZE,
    };
    this.now = opts.now ?? (() => performance.now());
  }

  /** Pooled clients (evicted ones still in use are not counted). */
  get size(): number {
    return this.entries.size;
  }

  /** The client for this broker set and credentials, connecting it when there is none. */
  acquire(target: AdminTarget): AdminLease {
    this.sweep();
    const key = adminPoolKey(target);
    const entry = this.entries.get(key) ?? this.open(key, target);
    entry.users += 1;
    entry.lastUsedMs = this.now();
    // Map order is recency order: re-insert on use.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return this.lease(entry, brokerSet(target.brokers));
  }

  /** Closes clients idle for idleMs or longer. Runs on every acquire and on a background timer. */
  sweep(): void {
    for (const key of idleVictims(this.views(), this.now(), this.limits)) this.evict(key, 'idle', false);
  }

  /**
   * Disconnects every client, in use or not (operator shutdown, leadership lost: the reconciles
   * holding them are being cancelled). The pool stays usable; callers stop calling it by their signal.
   */
  async close(): Promise<void> {
    for (const key of [...this.entries.keys()]) this.evict(key, 'close', true);
    this.stopSweeper();
    const pending = Promise.all(this.disconnecting);
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)));
    await Promise.race([pending, bound]);
    clearTimeout(timer);
  }

  private open(key: string, target: AdminTarget): Entry {
    for (const victim of lruVictims(this.views(), this.limits)) this.evict(victim, 'lru', false);
    const client = this.opts.createAdmin(target);
    const entry: Entry = {
      key,
      client,
      connected: client.admin.connect(),
      users: 0,
      lastUsedMs: this.now(),
      pooled: true,
      disconnected: false,
    };
    entry.connected.then(
      () => this.opts.metrics?.connects.inc({ result: 'success' }),
      () => {
        this.opts.metrics?.connects.inc({ result: 'failure' });
        // A failed connect is never reused: the next call reconnects.
        if (entry.pooled) this.evict(key, 'error', false);
      },
    );
    this.entries.set(key, entry);
    this.opts.metrics?.clients.inc();
    this.startSweeper();
    return entry;
  }

  private lease(entry: Entry, brokers: string): AdminLease {
    let ended = false;
    const end = (): boolean => {
      if (ended) return false;
      ended = true;
      entry.users -= 1;
      entry.lastUsedMs = this.now();
      return true;
    };
    return {
      admin: entry.client.admin,
      brokers,
      connected: entry.connected,
      release: () => {
        if (end() && !entry.pooled && entry.users === 0) this.disconnect(entry);
      },
      discard: (reason, now) => {
        if (!end()) return;
        if (entry.pooled) this.evict(entry.key, reason, false);
        // Nobody else on it: cut it now (it failed, hung or was abandoned mid-call).
        if (now || entry.users === 0) this.disconnect(entry, true);
      },
    };
  }

  /** Takes the entry out of the pool; disconnects it now, or when its last user releases it. */
  private evict(key: string, reason: EvictReason, now: boolean): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    entry.pooled = false;
    this.opts.metrics?.evictions.inc({ reason });
    if (now || entry.users === 0) this.disconnect(entry, now);
    if (this.entries.size === 0) this.stopSweeper();
  }

  /**
   * Disconnects the client; `hard` also destroys its sockets at once. kafkajs's own disconnect lets go
   * of a broker that never answered only after its request timeout, so a hung client is cut hard.
   */
  private disconnect(entry: Entry, hard = false): void {
    if (hard) entry.client.destroySockets();
    if (entry.disconnected) return;
    entry.disconnected = true;
    this.opts.metrics?.clients.dec();
    // Never awaited by a reconcile.
    const done = entry.client.admin.disconnect().catch(() => undefined);
    this.disconnecting.add(done);
    void done.finally(() => this.disconnecting.delete(done));
  }

  private views(): { key: string; users: number; lastUsedMs: number }[] {
    return [...this.entries.values()].map(({ key, users, lastUsedMs }) => ({ key, users, lastUsedMs }));
  }

  private startSweeper(): void {
    const every = this.opts.sweepEveryMs ?? SWEEP_EVERY_MS;
    if (this.sweeper || every <= 0) return;
    this.sweeper = setInterval(() => this.sweep(), every);
    this.sweeper.unref();
  }

  private stopSweeper(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}

/**
 * Gives a lease back after a call ended with `err`: a client that hung (timeout, its sockets cut), was
 * cancelled or lost the broker leaves the pool; one whose broker answered, even with a refusal (an
 * unknown topic, odd offsets), is fine and goes back. Callers with refusals of their own (topic
 * ownership) release those before calling this.
 */
export function endLease(lease: AdminLease, err: unknown): void {
  if (err instanceof KafkaCallTimeoutError) lease.discard('timeout', true);
  else if (err instanceof KafkaCallAbortedError) lease.discard('aborted', false);
  else if (isKafkaUnavailable(err)) lease.discard('error', false);
  else lease.release();
}
