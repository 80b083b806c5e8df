import type { FastifyInstance } from 'fastify';
import { ErrorCode, errorBody } from '../errors.js';
import { protectedRoute, type RouteContext } from './context.js';
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
        let turns, pin;
        try {
          [turns, pin] = await Promise.all([store.history(req.params.id), store.readPin(req.params.id)]);
        } catch (err) {
          req.log.warn({ err }, 'session store unavailable');
          return reply
            .code(503)
            .send(errorBody(ErrorCode.sessionStoreUnavailable, 'session store unavailable'));
        }
        if (turns.length === 0) return reply.code(404).send(errorBody(ErrorCode.notFound, 'no such session'));
        const modelVersions = [...new Set(turns.map((t) => t.modelVersion))];
        return { sessionId: req.params.id, modelVersions, turns, ...(pin && { pin }) };
      },
    );
    done();
  };
}
