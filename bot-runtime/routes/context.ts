import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TurnService } from '../answer/turn-service.js';
import type { TurnOutcome, TurnReply } from '../answer/turn-types.js';
import { JwtAuthenticator, authEnabled, bearerToken, type Authenticator } from '../auth/auth.js';
import { normalisedTooLarge } from '../classifier/normalise.js';
import type { Config } from '../config.js';
import { ErrorCode, errorBody, type ErrorBody } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { RETRY_AFTER_SECONDS } from '../overload/inflight.js';
import { rateIdentity, type RateLimiter } from '../overload/rate-limit.js';
import type { ForwardingToken } from '../rollout/forwarding-token.js';
import type { TurnRouter } from '../rollout/router.js';
import type { SessionStore } from '../sessions/session-store.js';

/** What the route plugins share. */
export interface RouteContext {
  config: Config;
  turns: TurnService;
  /** Rollout routing in front of `turns` (HTTP and WebSocket turns go through it). */
  router: TurnRouter;
  store: SessionStore | undefined;
  /** RATE_LIMIT_PER_MINUTE per identity, for turns, WebSocket frames and session reads. */
  limiter: RateLimiter;
  /** Authenticates x-chatfleet-forwarded (undefined without Redis: nothing is forwarded then). */
  forwarding: ForwardingToken | undefined;
  metrics: Metrics;
  now: () => number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated principal (`key:<name>`, `jwt:<sub>`); null while auth is off. */
    principal: string | null;
  }
}

/** Whose requests these are, for the rate limit: the principal, else the client address. */
export function requestIdentity(req: FastifyRequest): string {
  return rateIdentity(req.principal ?? undefined, req.ip);
}

/** True only for a turn another pod of this fleet forwarded (its header carries the fleet's token). */
export async function isForwarded(
  ctx: RouteContext,
  header: string | string[] | undefined,
): Promise<boolean> {
  if (typeof header !== 'string' || header === '' || !ctx.forwarding) return false;
  return ctx.forwarding.verify(header);
}

/** One authenticator (and JWKS cache) per auth config, shared by every protected route. */
const authenticators = new WeakMap<RouteContext['config']['auth'], Authenticator>();
/** When a request's JWT expires (ms since the epoch); read by the WebSocket route. */
const expiries = new WeakMap<FastifyRequest, number>();

export function tokenExpiresAt(req: FastifyRequest): number | undefined {
  return expiries.get(req);
}

/**
 * Route options of protected routes (chat, WebSocket upgrade, sessions): no hook at all when auth
 * is off. `queryToken`: also accept `?access_token=` (only the WebSocket upgrade, since browsers
 * cannot set headers there; anywhere else it would put tokens into proxy logs for nothing).
 */
export function protectedRoute(
  ctx: RouteContext,
  opts: { queryToken?: boolean } = {},
): { onRequest?: ReturnType<typeof authHook> } {
  return authEnabled(ctx.config.auth) ? { onRequest: authHook(ctx, opts.queryToken === true) } : {};
}

/** onRequest hook of protected routes. */
export function authHook(ctx: RouteContext, queryToken = false) {
  let auth = authenticators.get(ctx.config.auth);
  if (!auth) authenticators.set(ctx.config.auth, (auth = new JwtAuthenticator(ctx.config.auth, ctx.now)));
  const authenticator = auth;
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const query = (req.query as { access_token?: unknown } | undefined)?.access_token;
    const header = bearerToken(req.headers.authorization);
    let result;
    if (query !== undefined && !queryToken) {
      result = { ok: false as const, reason: 'access_token is only accepted on the WebSocket upgrade' };
    } else {
      result = await authenticator.authenticate(header ?? (typeof query === 'string' ? query : undefined));
    }
    if (!result.ok) {
      await reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send(errorBody(ErrorCode.unauthorized, result.reason));
      return;
    }
    req.principal = result.principal ?? null;
    if (result.expiresAt !== undefined) expiries.set(req, result.expiresAt);
  };
}

/**
 * UTF-8 size check of the message (the schema counts UTF-16 units, the contract counts bytes),
 * raw and once normalised: compatibility decomposition can expand it 18-fold.
 */
export function messageTooLarge(message: string, maxBytes: number): boolean {
  // Cheap pre-check: a string of n UTF-16 units has between n and 3n UTF-8 bytes.
  if (message.length * 3 > maxBytes && Buffer.byteLength(message, 'utf8') > maxBytes) return true;
  return normalisedTooLarge(message, maxBytes);
}

export type Refusal = { status: 404 | 429 | 503; retryAfter?: number; body: ErrorBody };

/** One answer whether the session does not exist or is someone else's: no hint which. */
export const SESSION_NOT_FOUND: Refusal = {
  status: 404,
  body: errorBody(ErrorCode.notFound, 'no such session'),
};

export function rateLimited(nowMs: number): Refusal {
  return {
    status: 429,
    retryAfter: Math.max(1, 60 - Math.floor((nowMs / 1000) % 60)),
    body: errorBody(ErrorCode.rateLimited, 'rate limit reached'),
  };
}

/** The HTTP answer of a turn that got no reply. */
export function refusal(outcome: Exclude<TurnOutcome, { kind: 'ok' }>, nowMs: number): Refusal {
  if (outcome.kind === 'not_found') return SESSION_NOT_FOUND;
  switch (outcome.reason) {
    case 'rate_limit':
      return rateLimited(nowMs);
    case 'draining':
      return {
        status: 503,
        retryAfter: RETRY_AFTER_SECONDS,
        body: errorBody(ErrorCode.draining, 'shutting down; retry on another instance'),
      };
    case 'inflight':
      return {
        status: 503,
        retryAfter: RETRY_AFTER_SECONDS,
        body: errorBody(ErrorCode.overloaded, 'too many turns in flight; retry shortly'),
      };
  }
}

export type { TurnReply };

export function sendRefusal(reply: FastifyReply, r: Refusal): FastifyReply {
  if (r.retryAfter !== undefined) reply.header('retry-after', String(r.retryAfter));
  return reply.code(r.status).send(r.body);
}
