import type { Source } from '../metrics.js';
import { withDeadline } from '../redis/deadline.js';
import { isRedisReady, type RedisClient } from '../redis/redis-client.js';
import { rateLimitKey, sessionKeys } from './keys.js';

/** One stored turn of a conversation. */
export interface TurnRecord {
  seq: number;
  at: string;
  message: string;
  reply: string;
  intent: string;
  confidence: number;
  source: Source;
  modelVersion: string;
}

/** Appends one turn; returns the session's new turn number. Keys: turns list, counter. */
const APPEND_TURN_LUA = `
local seq = redis.call('INCR', KEYS[2])
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return seq`;

/**
 * Reads the counter and the newest ARGV[1] turns atomically. Keys: counter, turns list. A script,
 * not MULTI: ioredis follows a MOVED redirect for a single command, but a MULTI sent with a stale
 * slot map (a client that started while a new shard joined) came back with MOVED errors, timeouts
 * or even another command's replies (found on the real node; see e2e/real-node/redis.test.ts).
 */
const HISTORY_LUA = `
return {redis.call('GET', KEYS[1]) or false, redis.call('LRANGE', KEYS[2], -tonumber(ARGV[1]), -1)}`;

/** Counts a hit in a fixed window and sets the window's TTL once. */
const RATE_LIMIT_LUA = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n`;

interface ScriptedClient {
  cfAppendTurn(turns: string, seq: string, record: string, maxTurns: number, ttl: number): Promise<number>;
  cfRateLimit(key: string, ttl: number): Promise<number>;
  cfHistory(seq: string, turns: string, limit: number): Promise<unknown>;
}

export interface SessionStoreOptions {
  ttlSeconds: number;
  maxTurns: number;
  /** Bound of every store operation (default 1000 ms); past it the caller degrades. */
  opTimeoutMs?: number;
}

/** Raised without a round trip while the client is not ready (down, blank cluster, reconnecting). */
export class RedisNotReadyError extends Error {
  constructor(
    readonly operation: string,
    status: string,
  ) {
    super(`redis not ready (${status}) for ${operation}`);
    this.name = 'RedisNotReadyError';
  }
}

export type NewTurn = Omit<TurnRecord, 'seq'>;

export function encodeTurn(turn: NewTurn): string {
  return JSON.stringify(turn);
}

/**
 * Sequence numbers are not stored in the entries: the list is appended in the same transaction that
 * increments the counter, so the last entry always has seq = counter, and the one before counter-1.
 * `entries` are the newest entries, oldest first, read atomically with `counter`.
 */
export function decodeTurns(entries: string[], counter: number): TurnRecord[] {
  const first = counter - entries.length + 1;
  const out: TurnRecord[] = [];
  entries.forEach((entry, i) => {
    try {
      out.push({ seq: first + i, ...(JSON.parse(entry) as NewTurn) });
    } catch {
      // a corrupt entry is skipped, never fatal for the session
    }
  });
  return out;
}

/** The history script's reply, checked: a malformed reply is an error, never a garbled history. */
export function historyReply(reply: unknown): { counter: number; entries: string[] } {
  const [counter, entries] = Array.isArray(reply) ? (reply as unknown[]) : [];
  const validCounter = counter === null || typeof counter === 'string';
  if (!validCounter || !Array.isArray(entries) || !entries.every((e) => typeof e === 'string')) {
    throw new Error(
      `unexpected reply to the session history script: ${JSON.stringify(reply)?.slice(0, 200)}`,
    );
  }
  return { counter: Number(counter ?? 0), entries };
}

/**
 * Sessions, answer cache and rate limits in Redis (standalone or Cluster).
 *
 * A turn is appended by one Lua script (one round trip): INCR the session counter, RPUSH the turn,
 * LTRIM to maxTurns, refresh both TTLs. Redis runs a script atomically, so concurrent turns of a
 * session - from any pod - are serialised: each gets the next number, none is lost, and the list
 * order is the number order. Both keys carry the hash tag {sess:<id>}, so this is legal in Redis
 * Cluster. A script (EVALSHA) rides ioredis auto-pipelining, so the appends of concurrent turns share
 * one socket write; a MULTI/EXEC block costs Redis less (~7 µs against ~20 µs) but ioredis sends
 * every transaction as its own write, which measured slower end to end on a busy 2-core machine.
 */
export class SessionStore {
  private readonly scripted: ScriptedClient;

  constructor(
    readonly client: RedisClient,
    private readonly opts: SessionStoreOptions,
  ) {
    client.defineCommand('cfAppendTurn', { numberOfKeys: 2, lua: APPEND_TURN_LUA });
    client.defineCommand('cfRateLimit', { numberOfKeys: 1, lua: RATE_LIMIT_LUA });
    client.defineCommand('cfHistory', { numberOfKeys: 2, lua: HISTORY_LUA });
    this.scripted = client as unknown as ScriptedClient;
  }

  /** Stores a turn; resolves its sequence number within the session. */
  async appendTurn(sessionId: string, turn: NewTurn): Promise<number> {
    const k = sessionKeys(sessionId);
    const { maxTurns, ttlSeconds } = this.opts;
    return Number(
      await this.bounded('append', () =>
        this.scripted.cfAppendTurn(k.turns, k.seq, encodeTurn(turn), maxTurns, ttlSeconds),
      ),
    );
  }

  /** The most recent turns (at most maxTurns), oldest first; counter and list read atomically. */
  async history(sessionId: string, limit = this.opts.maxTurns): Promise<TurnRecord[]> {
    const k = sessionKeys(sessionId);
    const reply = await this.bounded('history', () => this.scripted.cfHistory(k.seq, k.turns, limit));
    const { counter, entries } = historyReply(reply);
    return decodeTurns(entries, counter);
  }

  async exists(sessionId: string): Promise<boolean> {
    return (await this.bounded('exists', () => this.client.exists(sessionKeys(sessionId).turns))) === 1;
  }

  async getCachedAnswer(key: string): Promise<string | null> {
    return this.bounded('cache_get', () => this.client.get(key));
  }

  async putCachedAnswer(key: string, reply: string, ttlSeconds: number): Promise<void> {
    await this.bounded('cache_put', () => this.client.set(key, reply, 'EX', ttlSeconds));
  }

  /** Counts one request of a user in a fixed one-minute window; true while within `perMinute`. */
  async allowUser(userId: string, perMinute: number, nowMs: number): Promise<boolean> {
    const key = rateLimitKey(userId, Math.floor(nowMs / 60_000) * 60);
    return Number(await this.bounded('rate_limit', () => this.scripted.cfRateLimit(key, 120))) <= perMinute;
  }

  /**
   * Fails fast while the client is not ready: a Cluster MULTI/pipeline would otherwise wait for a
   * slot map without limit (the offline-queue setting does not apply to it), hanging the turn.
   * Whatever was sent is still bounded (CLUSTERDOWN retries, failover redirections, lost replies).
   */
  private async bounded<T>(operation: string, run: () => Promise<T>): Promise<T> {
    if (!isRedisReady(this.client)) throw new RedisNotReadyError(operation, this.client.status);
    return withDeadline(run(), this.opts.opTimeoutMs ?? 1000, operation);
  }
}
