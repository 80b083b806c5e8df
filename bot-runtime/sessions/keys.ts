import { createHash, randomBytes } from 'node:crypto';

/** Session ids are client-visible; this pattern keeps them safe inside Redis keys and URLs. */
export const SESSION_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
const SESSION_ID_RE = new RegExp(SESSION_ID_PATTERN);

export function isValidSessionId(id: string): boolean {
  return SESSION_ID_RE.test(id);
}

/**
 * A new session's id: 128 random bits (22 base64url characters). Only the server makes ids; a
 * client-supplied id that does not exist is never adopted, so an id is a capability nobody can guess.
 */
export function newSessionId(): string {
  return randomBytes(16).toString('base64url');
}

function digest(value: string, chars: number): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, chars);
}

export interface SessionKeys {
  turns: string;
  seq: string;
  pin: string;
  /** The owner's digest (see ownerOf); its existence is the session's existence. */
  owner: string;
  /** The conversation summary (a hash: text, through, task), written by the worker's summarize task. */
  summary: string;
}

/**
 * Every key of one session, owner first (the erase script checks it as KEYS[1]): the one list
 * that erasing a session (the chat API's DELETE, the worker's session.delete) deletes.
 */
export function sessionKeyList(k: SessionKeys): [owner: string, ...rest: string[]] {
  return [k.owner, k.turns, k.seq, k.pin, k.summary];
}

/**
 * Every Redis key of one fleet, under the prefix `cf:<FLEET_ID>:`: fleets that share one Redis never
 * see each other's sessions, answer cache, rate limits or task markers. FLEET_ID is
 * `<namespace>/<name>` (set by the operator); it is URI-encoded, so it can never contain a hash tag.
 */
export class FleetKeys {
  readonly prefix: string;

  constructor(readonly fleetId: string) {
    this.prefix = fleetId === '' ? 'cf:' : `cf:${encodeURIComponent(fleetId).replaceAll('%2F', '/')}:`;
  }

  /**
   * All keys of one session share the hash tag {sess:<id>}, so in Redis Cluster they live in one
   * slot and the per-turn Lua scripts (multi-key) are allowed; `pin` is the rollout pin (a hash of
   * track and version); different sessions spread over shards.
   */
  session(sessionId: string): SessionKeys {
    const tag = `${this.prefix}{sess:${sessionId}}`;
    return {
      turns: `${tag}:turns`,
      seq: `${tag}:seq`,
      pin: `${tag}:pin`,
      owner: `${tag}:owner`,
      summary: `${tag}:summary`,
    };
  }

  /**
   * Answer-cache key: model version + digest of the normalised question. The version is part of the
   * key, so a model update can never serve another version's answers; old entries age out by TTL.
   * No hash tag: cache entries should spread over every Cluster shard.
   */
  answer(modelVersion: string, normalisedQuestion: string): string {
    return `${this.prefix}ans:${encodeURIComponent(modelVersion)}:${digest(normalisedQuestion, 27)}`;
  }

  /** Fixed-window rate-limit counter of one identity (hashed: it may be any string). */
  rateLimit(identity: string, windowStartSeconds: number): string {
    return `${this.prefix}{rl:${digest(identity, 22)}}:${windowStartSeconds}`;
  }

  /** Marks a background task done (worker idempotency). */
  taskDone(taskId: string): string {
    return `${this.prefix}task:${digest(taskId, 27)}`;
  }

  /** The token that authenticates turns one pod forwards to another (rollout/forwarding-token.ts). */
  forwardingToken(): string {
    return `${this.prefix}forwarding-token`;
  }
}

/** Owner of sessions made while auth is off: anyone who holds the (unguessable) id. */
export const ANONYMOUS_OWNER = '-';

/**
 * What a session stores as its owner: a digest of the principal (`key:<name>` or `jwt:<sub>`), so
 * Redis never holds identities in clear; ANONYMOUS_OWNER when auth is off.
 */
export function ownerOf(principal: string | undefined): string {
  return principal === undefined ? ANONYMOUS_OWNER : digest(principal, 22);
}
