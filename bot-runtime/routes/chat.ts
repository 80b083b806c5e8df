import type { FastifyInstance } from 'fastify';
import { ErrorCode, errorBody } from '../errors.js';
import { FORWARDED_HEADER, SERVER_TIMING_HEADER } from '../rollout/forwarder.js';
import {
  isForwarded,
  messageTooLarge,
  protectedRoute,
  rateLimited,
  refusal,
  requestIdentity,
  sendRefusal as send,
  type RouteContext,
} from './context.js';
import { validateChatBody, type ChatBody } from './chat-body.js';
import { chatRouteSchema } from './schemas.js';

export function chatRoutes(ctx: RouteContext) {
  return (app: FastifyInstance, _opts: unknown, done: (err?: Error) => void): void => {
    app.post<{ Body: ChatBody }>(
      '/v1/chat',
      { schema: chatRouteSchema, validatorCompiler: () => validateChatBody, ...protectedRoute(ctx) },
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
        const forwarded = await isForwarded(ctx, req.headers[FORWARDED_HEADER]);
        // counted once, by the pod the client reached: a forwarded turn was counted there
        const verdict = forwarded ? 'allowed' : await ctx.limiter.check(requestIdentity(req));
        if (verdict === 'limited') return send(reply, rateLimited(ctx.now()));
        const principal = req.principal ?? undefined;
        const outcome = await ctx.router.handle({
          message,
          sessionId,
          principal,
          userId: principal ?? req.body.userId,
          forwarded,
          authorization: req.headers.authorization,
          redisOk: verdict !== 'unavailable',
        });
        // the sender subtracts this pod's own time to tell what forwarding added
        if (forwarded)
          reply.header(SERVER_TIMING_HEADER, `turn;dur=${(performance.now() - started).toFixed(3)}`);
        if (outcome.kind === 'ok') return outcome.reply;
        if (outcome.kind === 'forwarded') {
          if (outcome.retryAfter !== undefined) reply.header('retry-after', outcome.retryAfter);
          return reply.code(outcome.status).send(outcome.body);
        }
        return send(reply, refusal(outcome, ctx.now()));
      },
    );
    done();
  };
}
