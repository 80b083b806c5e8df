import type { FastifyInstance } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { ErrorCode, errorBody, type ErrorCodeValue } from '../errors.js';
import { schemaErrorText, validateChatBody, type ChatBody } from './chat-body.js';
import {
  messageTooLarge,
  protectedRoute,
  rateLimited,
  refusal,
  requestIdentity,
  tokenExpiresAt,
  type RouteContext,
} from './context.js';

/** Frames a connection may have queued before new ones are refused (ordered, one turn at a time). */
const MAX_QUEUED_FRAMES = 32;
/** Replies a client has not read yet, in bytes; beyond it the connection is closed (1008). */
const MAX_UNREAD_BYTES = 1024 * 1024;
/** Close codes: 1013 "try again later" (connection cap), 1000 normal (idle), 1008 policy (not reading). */
export const WS_CLOSE_TRY_AGAIN = 1013;
export const WS_CLOSE_IDLE = 1000;
export const WS_CLOSE_POLICY = 1008;

type Frame = Pick<ChatBody, 'message' | 'sessionId'>;

type Parsed = { ok: true; frame: Frame } | { ok: false; code: ErrorCodeValue; message: string };

/** A frame is the POST /v1/chat body as JSON text, checked by the same schema validator. */
export function parseFrame(data: RawData, maxMessageBytes: number): Parsed {
  let doc: unknown;
  try {
    doc = JSON.parse(
      Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(toBuffers(data)).toString('utf8'),
    );
  } catch {
    return { ok: false, code: ErrorCode.invalidJson, message: 'frame is not valid JSON' };
  }
  if (!validateChatBody(doc)) {
    return {
      ok: false,
      code: ErrorCode.invalidRequest,
      message: schemaErrorText('frame', validateChatBody.errors),
    };
  }
  if (messageTooLarge(doc.message, maxMessageBytes)) {
    return {
      ok: false,
      code: ErrorCode.messageTooLarge,
      message: `message exceeds ${maxMessageBytes} bytes`,
    };
  }
  return { ok: true, frame: { message: doc.message, sessionId: doc.sessionId } };
}

function toBuffers(data: RawData): Buffer[] {
  return Array.isArray(data) ? data : [Buffer.from(new Uint8Array(data))];
}

/** Tracks open sockets for keepalive pings and the 1012 close at shutdown. */
export class SocketRegistry {
  readonly sockets = new Set<WebSocket>();
  private readonly alive = new WeakSet<WebSocket>();
  private timer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;

  add(ws: WebSocket): void {
    this.sockets.add(ws);
    this.alive.add(ws);
    ws.on('pong', () => this.alive.add(ws));
  }

  remove(ws: WebSocket): void {
    this.sockets.delete(ws);
    if (this.sockets.size === 0) clearTimeout(this.closeTimer);
  }

  /** One timer for all sockets: a socket that missed the previous ping is terminated. */
  startKeepalive(intervalMs: number): void {
    this.timer = setInterval(() => {
      for (const ws of this.sockets) {
        if (!this.alive.has(ws)) {
          ws.terminate();
          continue;
        }
        this.alive.delete(ws);
        ws.ping();
      }
    }, intervalMs);
    this.timer.unref();
  }

  /** Sends a close frame to every socket; one that has not finished the handshake after graceMs is cut. */
  closeAll(code: number, reason: string, graceMs = 2000): void {
    clearInterval(this.timer);
    if (this.sockets.size === 0) return;
    for (const ws of this.sockets) ws.close(code, reason);
    this.closeTimer = setTimeout(() => {
      for (const ws of this.sockets) ws.terminate();
    }, graceMs);
  }
}

/** The upgrade's credentials as a header, for turns forwarded to the other track. */
function upgradeAuthorization(header: string | undefined, query: unknown): string | undefined {
  if (header !== undefined) return header;
  const token = (query as { access_token?: unknown } | undefined)?.access_token;
  return typeof token === 'string' && token !== '' ? `Bearer ${token}` : undefined;
}

/** Closes ws after idleMs without a frame from its client (pongs do not count), unless a turn runs. */
function idleTimer(ws: WebSocket, idleMs: number, busy: () => boolean): NodeJS.Timeout | undefined {
  if (idleMs <= 0) return undefined;
  const timer = setTimeout(() => {
    if (busy()) timer.refresh();
    else ws.close(WS_CLOSE_IDLE, 'idle timeout');
  }, idleMs);
  timer.unref();
  return timer;
}

/** Closes ws with 1008 when its JWT expires (with the same skew its acceptance allowed). */
function expiryTimer(
  ws: WebSocket,
  expiresAt: number | undefined,
  skewSeconds: number,
  nowMs: number,
): NodeJS.Timeout | undefined {
  if (expiresAt === undefined) return undefined;
  const delay = expiresAt + skewSeconds * 1000 - nowMs;
  if (delay > 2 ** 31 - 1) return undefined; // beyond a timer's range (24 days): the token outlives any pod
  const timer = setTimeout(() => ws.close(WS_CLOSE_POLICY, 'token expired'), Math.max(0, delay));
  timer.unref();
  return timer;
}

function send(ws: WebSocket, body: unknown): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(body));
}

export function websocketRoutes(ctx: RouteContext, sockets: SocketRegistry) {
  return (app: FastifyInstance, _opts: unknown, done: (err?: Error) => void): void => {
    app.get('/v1/chat/ws', { websocket: true, ...protectedRoute(ctx, { queryToken: true }) }, (ws, req) => {
      if (sockets.sockets.size >= ctx.config.maxWsConnections) {
        ws.close(WS_CLOSE_TRY_AGAIN, 'too many connections');
        return;
      }
      sockets.add(ws);
      ctx.metrics.websocketConnections.inc();
      const principal = req.principal ?? undefined;
      const identity = requestIdentity(req);
      const authorization = upgradeAuthorization(req.headers.authorization, req.query);
      let sessionId: string | undefined;
      let queued = 0;
      let chain: Promise<void> = Promise.resolve();

      const handle = async (frame: Frame): Promise<void> => {
        // every frame is a turn, limited like an HTTP one
        const verdict = await ctx.limiter.check(identity);
        if (verdict === 'limited') return send(ws, rateLimited(ctx.now()).body);
        const outcome = await ctx.router.handle({
          message: frame.message,
          sessionId: frame.sessionId ?? sessionId,
          principal,
          userId: principal,
          forwarded: false,
          authorization,
          redisOk: verdict !== 'unavailable',
        });
        if (outcome.kind === 'ok') {
          sessionId = outcome.reply.sessionId; // kept for the life of the connection
          send(ws, outcome.reply);
        } else if (outcome.kind === 'forwarded') {
          // the other track answered over HTTP; its reply (or error body) becomes the frame
          const body = (outcome.body ?? {}) as { sessionId?: unknown };
          if (outcome.status === 200 && typeof body.sessionId === 'string') sessionId = body.sessionId;
          send(ws, outcome.body);
        } else {
          send(ws, refusal(outcome, ctx.now()).body);
        }
      };

      const idle = idleTimer(ws, ctx.config.wsIdleTimeoutMs, () => queued > 0);
      const expiry = expiryTimer(ws, tokenExpiresAt(req), ctx.config.auth.jwtClockSkewSeconds, ctx.now());
      ws.on('message', (data: RawData) => {
        idle?.refresh();
        if (ws.bufferedAmount > MAX_UNREAD_BYTES) return ws.close(WS_CLOSE_POLICY, 'replies not read');
        const parsed = parseFrame(data, ctx.config.maxMessageBytes);
        if (!parsed.ok) return send(ws, errorBody(parsed.code, parsed.message));
        if (queued >= MAX_QUEUED_FRAMES) {
          return send(ws, errorBody(ErrorCode.overloaded, 'too many frames queued on this connection'));
        }
        queued += 1;
        chain = chain
          .then(() => handle(parsed.frame))
          .catch((err: unknown) => {
            req.log.error({ err }, 'websocket turn failed');
            send(ws, errorBody(ErrorCode.internal, 'turn failed'));
          })
          .finally(() => (queued -= 1));
      });
      ws.on('close', () => {
        clearTimeout(idle);
        clearTimeout(expiry);
        sockets.remove(ws);
        ctx.metrics.websocketConnections.dec();
      });
    });
    done();
  };
}
