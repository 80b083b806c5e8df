import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, errorBody } from '../errors.js';
import { ownerOf } from '../sessions/keys.js';
import type { SessionStore } from '../sessions/session-store.js';
import {
  SESSION_NOT_FOUND,
  protectedRoute,
  rateLimited,
  requestIdentity,
  sendRefusal,
  type RouteContext,
} from './context.js';
import { sessionDeleteRouteSchema, sessionRouteSchema } from './schemas.js';

type SessionRequest = FastifyRequest<{ Params: { id: string } }>;

function storeUnavailable(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(503).send(errorBody(ErrorCode.sessionStoreUnavailable, message));
}

/**
 * What GET and DELETE share: a store, the caller's rate limit (probing session ids is as limited
 * as chatting), and the store call with the caller as owner; a failing store is 503, a session
 * that is missing or not the caller's 404 (one answer for both).
 */
async function withOwnSession<T>(
  ctx: RouteContext,
  req: SessionRequest,
  reply: FastifyReply,
  call: (store: SessionStore, ref: { id: string; owner: string }) => Promise<T | null>,
): Promise<{ sent: false; value: T } | { sent: true }> {
  const { store } = ctx;
  const refused = (r: FastifyReply): { sent: true } => (void r, { sent: true });
  if (!store) return refused(storeUnavailable(reply, 'no session store configured'));
  if ((await ctx.limiter.check(requestIdentity(req))) === 'limited') {
    return refused(sendRefusal(reply, rateLimited(ctx.now())));
  }
  let result: T | null;
  try {
    result = await call(store, { id: req.params.id, owner: ownerOf(req.principal ?? undefined) });
  } catch (err) {
    req.log.warn({ err }, 'session store unavailable');
    return refused(storeUnavailable(reply, 'session store unavailable'));
  }
  if (result === null) {
    ctx.metrics.sessionsNotFound.inc();
    return refused(sendRefusal(reply, SESSION_NOT_FOUND));
  }
  return { sent: false, value: result };
}

export function sessionRoutes(ctx: RouteContext) {
  return (app: FastifyInstance, _opts: unknown, done: (err?: Error) => void): void => {
    app.get<{ Params: { id: string } }>(
      '/v1/sessions/:id',
      { schema: sessionRouteSchema, ...protectedRoute(ctx) },
      async (req, reply) => {
        const view = await withOwnSession(ctx, req, reply, (store, ref) =>
          store.view({ ...ref, isNew: false }),
        );
        if (view.sent) return reply;
        const { turns, pin } = view.value;
        const modelVersions = [...new Set(turns.map((t) => t.modelVersion))];
        return { sessionId: req.params.id, modelVersions, turns, ...(pin && { pin }) };
      },
    );
    // Erasure now, not a queued session.delete: the caller learns it is done (docs/tasks.md, Erasure).
    app.delete<{ Params: { id: string } }>(
      '/v1/sessions/:id',
      { schema: sessionDeleteRouteSchema, ...protectedRoute(ctx) },
      async (req, reply) => {
        const erased = await withOwnSession(ctx, req, reply, async (store, ref) =>
          (await store.erase(ref)) ? true : null,
        );
        if (erased.sent) return reply;
        req.log.info({ sessionId: req.params.id }, 'session erased on request');
        return reply.code(204).send();
      },
    );
    done();
  };
}
