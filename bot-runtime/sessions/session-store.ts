import type { Track } from '../config.js';
import type { Source } from '../metrics.js';
import type { Pin } from '../rollout/assignment.js';
import { withDeadline } from '../redis/deadline.js';
import { isRedisReady, type RedisClient } from '../redis/redis-client.js';
import { FleetKeys, sessionKeyList } from './keys.js';
import { badReply, decodeTurns, encodeTurn, historyReply, type SessionSummary } from './records.js';
import {
  APPEND_TURN_LUA,
  ERASE_SESSION_LUA,
  HISTORY_LUA,
  PIN_LUA,
  RATE_LIMIT_LUA,
  REPIN_LUA,
} from './scripts.js';

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

type Args = (string | number)[];

interface ScriptedClient {
  cfAppendTurn(
    turns: string,
    seq: string,
    pin: string,
    owner: string,
    summary: string,
    ...args: Args
  ): Promise<number>;
  cfPin(pin: string, seq: string, owner: string, ...args: Args): Promise<unknown>;
  cfRepin(pin: string, ...args: Args): Promise<unknown>;
  cfRateLimit(key: string, ttl: number, hits: number): Promise<number>;
  cfHistory(
    owner: string,
    seq: string,
    turns: string,
    pin: string,
    summary: string,
    ...args: Args
  ): Promise<unknown>;
  /** sessionKeyList's keys, then the caller's owner digest. */
  cfEraseSession(...keysThenOwner: string[]): Promise<number>;
}

export interface SessionStoreOptions {
  ttlSeconds: number;
  maxTurns: number;
  /** Bound of every store operation (default 1000 ms); past it the caller degrades. */
  opTimeoutMs?: number;
  /** FLEET_ID: the prefix of every key ('' without one). */
  fleetId?: string;
}

/**
 * Which session a call is about, and who asks: `owner` is ownerOf(principal); `isNew` says the
 * server made the id for this turn (the only way a session is created).
 */
export interface SessionRef {
  id: string;
  owner: string;
  isNew: boolean;
}

const mode = (ref: SessionRef): string => (ref.isNew ? 'new' : 'existing');

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

export { decodeTurns, encodeTurn, historyReply, type SessionSummary };

export interface SessionView {
  turns: TurnRecord[];
  pin: Pin | undefined;
  summary?: SessionSummary;
}

/** `new`: pinned just now as a new conversation; `legacy`: pinned to stable because it had turns. */
export type StoredPin = Pin & { status: 'kept' | 'new' | 'legacy' };

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
  readonly keys: FleetKeys;

  constructor(
    readonly client: RedisClient,
    private readonly opts: SessionStoreOptions,
  ) {
    client.defineCommand('cfAppendTurn', { numberOfKeys: 5, lua: APPEND_TURN_LUA });
    client.defineCommand('cfPin', { numberOfKeys: 3, lua: PIN_LUA });
    client.defineCommand('cfRepin', { numberOfKeys: 1, lua: REPIN_LUA });
    client.defineCommand('cfRateLimit', { numberOfKeys: 1, lua: RATE_LIMIT_LUA });
    client.defineCommand('cfHistory', { numberOfKeys: 5, lua: HISTORY_LUA });
    this.keys = new FleetKeys(opts.fleetId ?? '');
    const sessionKeys = sessionKeyList(this.keys.session('-')).length;
    client.defineCommand('cfEraseSession', { numberOfKeys: sessionKeys, lua: ERASE_SESSION_LUA });
    this.scripted = client as unknown as ScriptedClient;
  }

  /**
   * Stores a turn; resolves its sequence number within the session, or null when the session is
   * not the caller's (another owner, or an id the client chose that does not exist).
   */
  async appendTurn(ref: SessionRef, turn: NewTurn): Promise<number | null> {
    const k = this.keys.session(ref.id);
    const { maxTurns, ttlSeconds } = this.opts;
    const args = [encodeTurn(turn), maxTurns, ttlSeconds, ref.owner, mode(ref)];
    const seq = Number(
      await this.bounded('append', () =>
        this.scripted.cfAppendTurn(k.turns, k.seq, k.pin, k.owner, k.summary, ...args),
      ),
    );
    return seq < 0 ? null : seq;
  }

  /**
   * The most recent turns (at most `limit`), oldest first, and the rollout pin, read atomically;
   * null when the session is not the caller's.
   */
  async view(ref: SessionRef, limit = this.opts.maxTurns): Promise<SessionView | null> {
    const k = this.keys.session(ref.id);
    const reply = historyReply(
      await this.bounded('history', () =>
        this.scripted.cfHistory(k.owner, k.seq, k.turns, k.pin, k.summary, limit, ref.owner),
      ),
    );
    return (
      reply && {
        turns: decodeTurns(reply.entries, reply.counter),
        pin: reply.pin,
        ...(reply.summary && { summary: reply.summary }),
      }
    );
  }

  /** Erases every key of the session if it is the caller's; false when it is not (or is gone). */
  async erase(ref: Omit<SessionRef, 'isNew'>): Promise<boolean> {
    const k = this.keys.session(ref.id);
    const erased = await this.bounded('erase', () =>
      this.scripted.cfEraseSession(...sessionKeyList(k), ref.owner),
    );
    return Number(erased) === 1;
  }

  /**
   * The session's rollout pin; a session without one is pinned here, atomically: to `fresh` when
   * it has no turns (a new conversation), else to `legacy` (it started before the rollout). A new
   * session (`ref.isNew`) is created here; null when the session is not the caller's.
   */
  async pin(ref: SessionRef, fresh: Pin, legacy: Pin): Promise<StoredPin | null> {
    const k = this.keys.session(ref.id);
    const args = [fresh.track, fresh.modelVersion, legacy.track, legacy.modelVersion, this.opts.ttlSeconds];
    const reply = await this.bounded('pin', () =>
      this.scripted.cfPin(k.pin, k.seq, k.owner, ...args, ref.owner, mode(ref)),
    );
    if (Array.isArray(reply) && reply[2] === 'not_found') return null;
    const [track, modelVersion, status] = pinReply(reply, 3);
    if (status !== 'kept' && status !== 'new' && status !== 'legacy') throw badReply('pin', reply);
    return { track, modelVersion, status };
  }

  /** Moves a pin from `expected` to `next` unless another pod changed it first; returns the pin now. */
  async repin(sessionId: string, expected: Pin, next: Pin): Promise<Pin> {
    const k = this.keys.session(sessionId);
    const args = [expected.track, expected.modelVersion, next.track, next.modelVersion, this.opts.ttlSeconds];
    const reply = await this.bounded('pin', () => this.scripted.cfRepin(k.pin, ...args));
    const [track, modelVersion] = pinReply(reply, 2);
    return { track, modelVersion };
  }

  /** `key`: keys.answer(model version, normalised question). */
  async getCachedAnswer(key: string): Promise<string | null> {
    return this.bounded('cache_get', () => this.client.get(key));
  }

  async putCachedAnswer(key: string, reply: string, ttlSeconds: number): Promise<void> {
    await this.bounded('cache_put', () => this.client.set(key, reply, 'EX', ttlSeconds));
  }

  /**
   * Adds `hits` requests of an identity to its fixed one-minute window (shared by every pod);
   * resolves the window's total so far.
   */
  async countHits(identity: string, windowStartSeconds: number, hits: number): Promise<number> {
    const key = this.keys.rateLimit(identity, windowStartSeconds);
    return Number(await this.bounded('rate_limit', () => this.scripted.cfRateLimit(key, 120, hits)));
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
