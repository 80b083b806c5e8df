/**
 * The generated Redis password Secret `<cr>-redis-auth` over its life: created once, recreated
 * when deleted (the documented rotation, docs/dataplane.md "Password"), and when the bot pods roll
 * to a new password. PURE: no client, no clock (times come in as ms).
 */
import { createHash } from 'node:crypto';
import { PASSWORD_KEY } from './names.js';

/**
 * On the bot pod template: which password Secret the pods were started with. A change rolls the
 * Deployment, so the pods read the new password from their secretKeyRef env.
 */
export const ANNOTATION_REDIS_PASSWORD = 'chatfleet.io/redis-password-hash';

export interface SecretLike {
  metadata: { uid?: string; creationTimestamp?: string | Date };
  data?: Record<string, string>;
}

/**
 * A digest of the Secret's uid and password: changes when the Secret is recreated or its password
 * edited in place, not when only its labels change. 64 bits of SHA-256 of a 256-bit random
 * password say nothing about it; the value only has to differ.
 */
export function passwordStamp(secret: SecretLike): string {
  const input = `${secret.metadata.uid ?? ''}/${secret.data?.[PASSWORD_KEY] ?? ''}`;
  return createHash('sha256').update(input).digest('hex').slice(0, 16);
}

/** What the operator last knew of a fleet's password Secret. */
export interface KnownSecret {
  /** The CR uid it belongs to (a recreated CR starts over). */
  crUid: string;
  secret: SecretLike;
  /** The Secret informer has shown it: its absence from the cache now means it was deleted. */
  seenInCache: boolean;
  /** When it was created or read (ms), for a deletion the cache never showed. */
  at: number;
  /** Read with a GET: a Secret the cache cannot show (no Secret watch, or not labelled as ours). */
  outsideCache?: boolean;
}

export type SecretStep =
  /** The cache has it: nothing to send. */
  | 'cached'
  /** Created or read moments ago and not in the cache yet (watch lag): nothing to send. */
  | 'known'
  /** Missing: generate a password and create the Secret (409: someone did meanwhile, read it). */
  | 'create'
  /** Not watched (no list/watch RBAC, or a Secret not labelled as ours): read it with a GET. */
  | 'get';

/** How long a Secret we created may stay absent from the cache before it counts as deleted. */
export const CACHE_LAG_MS = 30_000;
/** Without a watch, a password Secret is read again this often (a deleted one is recreated then). */
export const REREAD_MS = 10 * 60_000;

/**
 * The next step for the password Secret. With a working Secret informer a steady state is 'cached'
 * (no request at all), and a deletion the informer reported is 'create' at once. Without one, the
 * Secret is read once per REREAD_MS.
 */
export function passwordSecretStep(input: {
  cached: boolean;
  known: KnownSecret | undefined;
  crUid: string;
  /** The Secret informer lists and watches (false: RBAC refused it, its cache stays empty). */
  watching: boolean;
  now: number;
}): SecretStep {
  if (input.cached) return 'cached';
  const known = input.known?.crUid === input.crUid ? input.known : undefined;
  if (!input.watching || known?.outsideCache) {
    return known && input.now - known.at < REREAD_MS ? 'known' : 'get';
  }
  if (!known) return 'create';
  if (known.seenInCache || input.now - known.at > CACHE_LAG_MS) return 'create';
  return 'known';
}

function seconds(value: string | Date | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  // Both timestamps have one-second precision on the API server: compare whole seconds.
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}

/**
 * The stamp the bot pod template should carry.
 *
 * Bot pods are rolled to a new password only once every Redis pod runs with it: Redis reads the
 * password when its container starts, and this operator never restarts Redis for it. Rolling the
 * bots first would have every new pod refused by Redis (degraded: no history, no cache) until
 * someone restarts Redis. Until then the template keeps the stamp it has, and the old pods keep
 * working with the password Redis still has. A fleet without the annotation yet gets it at once.
 */
export function botPasswordStamp(input: {
  /** The annotation on the live bot Deployment's pod template (undefined before the first apply). */
  current: string | undefined;
  /** The password Secret as known now (undefined: not known yet; keep what is there). */
  secret: SecretLike | undefined;
  /** The Redis container's state.running.startedAt of every Redis pod of the fleet. */
  redisStartedAt: (string | Date | undefined)[];
}): string | undefined {
  if (!input.secret) return input.current;
  const latest = passwordStamp(input.secret);
  if (input.current === undefined || input.current === latest) return latest;
  const createdAt = seconds(input.secret.metadata.creationTimestamp);
  if (createdAt === undefined || input.redisStartedAt.length === 0) return input.current;
  const caughtUp = input.redisStartedAt.every((s) => {
    const started = seconds(s);
    return started !== undefined && started >= createdAt;
  });
  return caughtUp ? latest : input.current;
}
