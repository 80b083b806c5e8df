import type { FastifyInstance } from 'fastify';
import { ErrorCode, errorBody } from '../errors.js';
import { FORWARDED_HEADER, SERVER_TIMING_HEADER } from '../rollout/forwarder.js';
import { protectedRoute, messageTooLarge, shedResponse, type RouteContext } from './context.js';
import { chatRouteSchema } from './schemas.js';

interface ChatBody {
  message: string;
  sessionId?: string;
  userId?: string;
}

export function chatRoutes(ctx: RouteContext) {
  return (app: FastifyInstance, _opts: unknown, done: (err?: Error) => void): void => {
    app.post<{ Body: ChatBody }>(
      '/v1/chat',
      { schema: chatRouteSchema, ...protectedRoute(ctx) },
      async (req, reply) => {
        const started = performance.now();
        const { message, sessionId } = req.body;
        if (messageTooLarge(message, ctx.config.maxMessageBytes)) {
          return reply
            .code(413)
            .send(
              errorBody(ErrorCode.messageTooLarge, `message exceeds ${ctx.config.maxMessageBytes} bytes`),
            );
        }
        const forwarded = req.headers[FORWARDED_HEADER] === '1';
        // A JWT subject is authoritative for rate limiting; the body's userId is a hint otherwise.
        const userId = req.authSubject ?? req.body.userId;
        const authorization = req.headers.authorization;
        const outcome = await ctx.router.handle({ message, sessionId, userId, forwarded, authorization });
        // the sender subtracts this pod's own time to tell what forwarding added
        if (forwarded)
          reply.header(SERVER_TIMING_HEADER, `turn;dur=${(performance.now() - started).toFixed(3)}`);
        if (outcome.kind === 'ok') return outcome.reply;
        if (outcome.kind === 'forwarded') {
          if (outcome.retryAfter !== undefined) reply.header('retry-after', outcome.retryAfter);
          return reply.code(outcome.status).send(outcome.body);
        }
        const shed = shedResponse(outcome, ctx.now());
        return reply.code(shed.status).header('retry-after', String(shed.retryAfter)).send(shed.body);
      },
    );
    done();
  };
}
