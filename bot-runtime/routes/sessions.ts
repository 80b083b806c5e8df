import type { FastifyInstance } from 'fastify';
import { ErrorCode, errorBody } from '../errors.js';
import { ownerOf } from '../sessions/keys.js';
import {
  SESSION_NOT_FOUND,
  protectedRoute,
  rateLimited,
  requestIdentity,
  sendRefusal,
  type RouteContext,
} from './context.js';
import { sessionRouteSchema } from './schemas.js';

export function sessionRoutes(ctx: RouteContext) {
  return (app: FastifyInstance, _opts: unknown, done: (err?: Error) => void): void => {
    app.get<{ Params: { id: string } }>(
      '/v1/sessions/:id',
      { schema: sessionRouteSchema, ...protectedRoute(ctx) },
      async (req, reply) => {
        const { store } = ctx;
        if (!store) {
          return reply
            .code(503)
            .send(errorBody(ErrorCode.sessionStoreUnavailable, 'no session store configured'));
        }
        // reads count too: probing session ids is as limited as chatting
        if ((await ctx.limiter.check(requestIdentity(req))) === 'limited') {
          return sendRefusal(reply, rateLimited(ctx.now()));
        }
        const ref = { id: req.params.id, owner: ownerOf(req.principal ?? undefined), isNew: false };
        let view;
        try {
          view = await store.view(ref);
        } catch (err) {
          req.log.warn({ err }, 'session store unavailable');
          return reply
            .code(503)
            .send(errorBody(ErrorCode.sessionStoreUnavailable, 'session store unavailable'));
        }
        if (view === null) {
          ctx.metrics.sessionsNotFound.inc();
          return sendRefusal(reply, SESSION_NOT_FOUND);
        }
        const { turns, pin } = view;
        const modelVersions = [...new Set(turns.map((t) => t.modelVersion))];
        return { sessionId: ref.id, modelVersions, turns, ...(pin && { pin }) };
      },
    );
    done();
  };
}
