import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TurnOutcome, TurnReply, TurnService } from '../answer/turn-service.js';
import { authEnabled, authenticate, bearerToken } from '../auth/auth.js';
import { normalisedTooLarge } from '../classifier/normalise.js';
import type { Config } from '../config.js';
import { ErrorCode, errorBody, type ErrorBody } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { RETRY_AFTER_SECONDS } from '../overload/inflight.js';
import type { TurnRouter } from '../rollout/router.js';
import type { SessionStore } from '../sessions/session-store.js';

/** What the route plugins share. */
export interface RouteContext {
  config: Config;
  turns: TurnService;
  /** Rollout routing in front of `turns` (HTTP and WebSocket turns go through it). */
  router: TurnRouter;
  store: SessionStore | undefined;
  metrics: Metrics;
  now: () => number;
}

declare module 'fastify' {
  interface FastifyRequest {
    authSubject: string | null;
  }
}

/** Route options of protected routes (chat, WebSocket upgrade, sessions): no hook at all when auth is off. */
export function protectedRoute(ctx: RouteContext): { onRequest?: ReturnType<typeof authHook> } {
  return authEnabled(ctx.config.auth) ? { onRequest: authHook(ctx) } : {};
}

/** onRequest hook of protected routes. */
export function authHook(ctx: RouteContext) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const query = req.query as { access_token?: unknown } | undefined;
    const token =
      bearerToken(req.headers.authorization) ??
      (typeof query?.access_token === 'string' ? query.access_token : undefined);
    const result = authenticate(token, ctx.config.auth, Math.floor(ctx.now() / 1000));
    if (!result.ok) {
      await reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send(errorBody(ErrorCode.unauthorized, result.reason));
      return;
    }
    req.authSubject = result.subject ?? null;
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

export type ShedResponse = { status: 429 | 503; retryAfter: number; body: ErrorBody };

export function shedResponse(outcome: Exclude<TurnOutcome, { kind: 'ok' }>, nowMs: number): ShedResponse {
  switch (outcome.reason) {
    case 'rate_limit':
      return {
        status: 429,
        retryAfter: Math.max(1, 60 - Math.floor((nowMs / 1000) % 60)),
        body: errorBody(ErrorCode.rateLimited, 'per-user rate limit reached'),
      };
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
