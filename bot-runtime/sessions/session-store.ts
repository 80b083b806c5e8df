import type { Track } from '../config.js';
import type { Source } from '../metrics.js';
import type { Pin } from '../rollout/assignment.js';
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

/**
 * Appends one turn; returns the session's new turn number. Keys: turns list, counter, rollout pin
 * (its TTL follows the turns'; EXPIRE of an absent pin is a no-op).
 */
const APPEND_TURN_LUA = `
local seq = redis.call('INCR', KEYS[2])
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('EXPIRE', KEYS[3], ARGV[3])
return seq`;

/**
 * The session's pin, set atomically on first sight. Keys: pin, counter. ARGV: the new
 * conversation's track and version, the track and version of a session that already has turns
 * but no pin (it started before the rollout: stable), TTL. Returns {track, version, status}.
 */
const PIN_LUA = `
local p = redis.call('HMGET', KEYS[1], 'track', 'version')
if p[1] and p[2] then return {p[1], p[2], 'kept'} end
local t, v, status = ARGV[1], ARGV[2], 'new'
if redis.call('EXISTS', KEYS[2]) == 1 then t, v, status = ARGV[3], ARGV[4], 'legacy' end
redis.call('HSET', KEYS[1], 'track', t, 'version', v)
redis.call('EXPIRE', KEYS[1], ARGV[5])
return {t, v, status}`;

/** Compare-and-set of a pin. Keys: pin. ARGV: expected track, version, new track, version, TTL. */
const REPIN_LUA = `
local p = redis.call('HMGET', KEYS[1], 'track', 'version')
if p[1] == ARGV[1] and p[2] == ARGV[2] then
  redis.call('HSET', KEYS[1], 'track', ARGV[3], 'version', ARGV[4])
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  return {ARGV[3], ARGV[4]}
end
return {p[1] or ARGV[3], p[2] or ARGV[4]}`;

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
  cfAppendTurn(
    turns: string,
    seq: string,
    pin: string,
    record: string,
    maxTurns: number,
    ttl: number,
  ): Promise<number>;
  cfPin(pin: string, seq: string, ...args: (string | number)[]): Promise<unknown>;
  cfRepin(pin: string, ...args: (string | number)[]): Promise<unknown>;
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

/** `new`: pinned just now as a new conversation; `legacy`: pinned to stable because it had turns. */
export type StoredPin = Pin & { status: 'kept' | 'new' | 'legacy' };

function badReply(script: string, reply: unknown): Error {
  return new Error(`unexpected reply to the ${script} script: ${JSON.stringify(reply)?.slice(0, 200)}`);
}

function pinReply(reply: unknown, n: number): [Track, string, string | undefined] {
  const parts = Array.isArray(reply) ? (reply as unknown[]) : [];
  const [track, version, status] = parts;
  if (parts.length !== n || (track !== 'stable' && track !== 'canary') || typeof version !== 'string') {
    throw badReply('pin', reply);
  }
  return [track, version, typeof status === 'string' ? status : undefined];
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
    client.defineCommand('cfAppendTurn', { numberOfKeys: 3, lua: APPEND_TURN_LUA });
    client.defineCommand('cfPin', { numberOfKeys: 2, lua: PIN_LUA });
    client.defineCommand('cfRepin', { numberOfKeys: 1, lua: REPIN_LUA });
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
        this.scripted.cfAppendTurn(k.turns, k.seq, k.pin, encodeTurn(turn), maxTurns, ttlSeconds),
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

  /**
   * The session's rollout pin; a session without one is pinned here, atomically: to `fresh` when
   * it has no turns (a new conversation), else to `legacy` (it started before the rollout).
   */
  async pin(sessionId: string, fresh: Pin, legacy: Pin): Promise<StoredPin> {
    const k = sessionKeys(sessionId);
    const reply = await this.bounded('pin', () =>
      this.scripted.cfPin(
        k.pin,
        k.seq,
        ...[fresh.track, fresh.modelVersion, legacy.track, legacy.modelVersion, this.opts.ttlSeconds],
      ),
    );
    const [track, modelVersion, status] = pinReply(reply, 3);
    if (status !== 'kept' && status !== 'new' && status !== 'legacy') throw badReply('pin', reply);
    return { track, modelVersion, status };
  }

  /** Moves a pin from `expected` to `next` unless another pod changed it first; returns the pin now. */
  async repin(sessionId: string, expected: Pin, next: Pin): Promise<Pin> {
    const k = sessionKeys(sessionId);
    const args = [expected.track, expected.modelVersion, next.track, next.modelVersion, this.opts.ttlSeconds];
    const reply = await this.bounded('pin', () => this.scripted.cfRepin(k.pin, ...args));
    const [track, modelVersion] = pinReply(reply, 2);
    return { track, modelVersion };
  }

  /** The pin without side effects (GET /v1/sessions/:id). */
  async readPin(sessionId: string): Promise<Pin | undefined> {
    const [track, modelVersion] = await this.bounded('history', () =>
      this.client.hmget(sessionKeys(sessionId).pin, 'track', 'version'),
    );
    return (track === 'stable' || track === 'canary') && modelVersion ? { track, modelVersion } : undefined;
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
