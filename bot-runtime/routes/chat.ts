import type { FastifyInstance } from 'fastify';
import { ErrorCode, errorBody } from '../errors.js';
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
        const { message, sessionId } = req.body;
        if (messageTooLarge(message, ctx.config.maxMessageBytes)) {
          return reply
            .code(413)
            .send(
              errorBody(ErrorCode.messageTooLarge, `message exceeds ${ctx.config.maxMessageBytes} bytes`),
            );
        }
        // A JWT subject is authoritative for rate limiting; the body's userId is a hint otherwise.
        const userId = req.authSubject ?? req.body.userId;
        const outcome = await ctx.turns.handle({ message, sessionId, userId });
        if (outcome.kind === 'ok') return outcome.reply;
        const shed = shedResponse(outcome, ctx.now());
        return reply.code(shed.status).header('retry-after', String(shed.retryAfter)).send(shed.body);
      },
    );
    done();
  };
}
