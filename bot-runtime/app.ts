import fastifySwagger from '@fastify/swagger';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { modelsPlugin } from './classifier/plugin.js';
import type { LlmBackend } from './answer/llm-client.js';
import { TurnService } from './answer/turn-service.js';
import type { Config } from './config.js';
import { ErrorCode, classifyRequestError, errorBody, errorSchema } from './errors.js';
import { eventsPlugin, type AppEventSink } from './events/plugin.js';
import type { Metrics } from './metrics.js';
import { InflightLimiter } from './overload/inflight.js';
import { RateLimiter } from './overload/rate-limit.js';
import { redisPlugin } from './redis/plugin.js';
import type { RedisClient } from './redis/redis-client.js';
import { chatRoutes } from './routes/chat.js';
import type { RouteContext } from './routes/context.js';
import { opsRoutes } from './routes/ops.js';
import { sessionRoutes } from './routes/sessions.js';
import { SocketRegistry, websocketRoutes } from './routes/websocket.js';
import { Forwarder } from './rollout/forwarder.js';
import { ForwardingToken } from './rollout/forwarding-token.js';
import { routingPlugin } from './rollout/plugin.js';
import { TurnRouter } from './rollout/router.js';
import { RoutingState } from './rollout/routing-state.js';
import { SessionStore } from './sessions/session-store.js';
import { openTaskQueue, type TaskQueue } from './tasks/task-queue.js';

export interface AppDeps {
  config: Config;
  log: Logger;
  registry: Registry;
  metrics: Metrics;
  llm: LlmBackend | undefined;
  now?: () => number;
  /** How long startup waits for Redis before it starts degraded (default 5 s). */
  redisConnectTimeoutMs?: number;
  /** Tests: this sink instead of the Kafka publisher KAFKA_BROKERS names (closed at onClose all the same). */
  events?: AppEventSink;
  /** Tests: this queue instead of the Kafka one KAFKA_BROKERS names (closed at onClose all the same). */
  tasks?: TaskQueue;
}

/** Set by server.ts on SIGTERM: readiness fails and new turns are refused while in-flight ones finish. */
export interface Lifecycle {
  draining: boolean;
  readonly limiter: InflightLimiter;
  readonly sockets: SocketRegistry;
}

declare module 'fastify' {
  interface FastifyInstance {
    lifecycle: Lifecycle;
    /** Sessions in Redis; undefined without Redis. */
    sessions: SessionStore | undefined;
  }
}

/** WebSocket close code 1012 "service restart": clients should reconnect (to another pod). */
export const WS_CLOSE_RESTART = 1012;

/**
 * The app owns every resource it opens: Redis, the Kafka event publisher and the model bundle's
 * watcher are plugins that open when registered and are released by their onClose hooks (last
 * opened, first closed), so a build that fails half-way closes what it had opened.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = createFastify(deps);
  try {
    await app.register(redisPlugin({ ...deps, connectTimeoutMs: deps.redisConnectTimeoutMs ?? 5000 }));
    await app.register(eventsPlugin({ ...deps, sink: deps.events }));
    await app.register(modelsPlugin(deps));
    await registerRoutes(app, deps);
    return app;
  } catch (err) {
    await app.close().catch((closeErr: unknown) => deps.log.error({ err: closeErr }, 'closing a failed app'));
    throw err;
  }
}

function createFastify({ config, log }: AppDeps): FastifyInstance {
  const fastifyLog: FastifyBaseLogger = log; // widened, so the instance has fastify's default type
  const app = Fastify({
    loggerInstance: fastifyLog,
    // Per-request logs cost throughput; errors are still logged by our error handler.
    logController: new LogController({ disableRequestLogging: true }),
    // JSON escaping can inflate text up to 6x (\uXXXX); the exact byte limit is checked on the message.
    bodyLimit: config.maxMessageBytes * 6 + 1024,
    ajv: { customOptions: { coerceTypes: false } },
    // While closing, requests still reach the routes, which refuse turns with our own coded
    // 503 SHUTTING_DOWN (lifecycle.draining); fastify's own closing 503 carries no error code.
    return503OnClosing: false,
    // req.ip (the rate limit's identity without auth) follows X-Forwarded-For only from these
    trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
    ...httpTimeoutOptions(config),
  });
  const lifecycle: Lifecycle = {
    draining: false,
    limiter: new InflightLimiter(config.maxInflight),
    sockets: new SocketRegistry(),
  };
  app.decorate('lifecycle', lifecycle);
  app.decorateRequest('principal', null);
  app.addSchema(errorSchema);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send(errorBody(ErrorCode.notFound, `no route ${req.method} ${req.url.split('?')[0]}`)),
  );
  return app;
}

async function registerRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const { config } = deps;
  const { lifecycle, models, events } = app;
  const now = deps.now ?? Date.now;
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Chatfleet bot runtime', version: '1.0.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(fastifyWebsocket, {
    options: { maxPayload: Math.max(64 * 1024, config.maxMessageBytes * 6 + 1024) },
    preClose: (done) => {
      lifecycle.sockets.closeAll(WS_CLOSE_RESTART, 'service restart', config.closeTimeoutMs);
      // ws only calls back once every client is gone; the HTTP server's close waits for that anyway.
      app.websocketServer.close();
      done();
    },
  });
  app.decorate('sessions', sessionStore(app.redis, config));
  // Chat pods only enqueue tasks; the worker Deployment runs them (docs/tasks.md).
  const tasks = deps.tasks ?? openTaskQueue(config.kafka, deps.log, deps.registry);
  app.addHook('onClose', () => tasks.close(config.eventsFlushTimeoutMs));
  const turns = new TurnService({
    models,
    store: app.sessions,
    llm: deps.llm,
    events,
    tasks,
    limiter: lifecycle.limiter,
    metrics: deps.metrics,
    log: deps.log,
    now,
    settings: {
      answerCacheTtlSeconds: config.answerCacheTtlSeconds,
      eventsIncludeText: config.eventsIncludeText,
      summarizeAfterTurns: config.summarizeAfterTurns,
    },
    isDraining: () => lifecycle.draining,
  });
  const ctx = await routeContext(app, deps, turns, now);
  await app.register(chatRoutes(ctx));
  await app.register(websocketRoutes(ctx, lifecycle.sockets));
  await app.register(sessionRoutes(ctx));
  await app.register(
    opsRoutes({
      registry: deps.registry,
      redis: app.redis,
      events,
      modelVersion: () => models.current.version,
      isDraining: () => lifecycle.draining,
    }),
  );
  lifecycle.sockets.startKeepalive(config.wsPingIntervalMs);
}

function sessionStore(redis: RedisClient | undefined, config: Config): SessionStore | undefined {
  return (
    redis &&
    new SessionStore(redis, {
      ttlSeconds: config.sessionTtlSeconds,
      maxTurns: config.sessionMaxTurns,
      opTimeoutMs: config.redisCommandTimeoutMs,
      fleetId: config.rollout.fleetId,
    })
  );
}

/** What the routes share: the turn path behind rollout routing, the rate limit, forwarding's token. */
async function routeContext(
  app: FastifyInstance,
  deps: AppDeps,
  turns: TurnService,
  now: () => number,
): Promise<RouteContext> {
  const { config, metrics } = deps;
  const store = app.sessions;
  const forwarding = store && new ForwardingToken(store, config.redisCommandTimeoutMs);
  const router = await rolloutRouter(app, deps, turns, forwarding);
  const limiter = new RateLimiter(store, config.rateLimitPerMinute, metrics, deps.log, now);
  return { config, turns, router, store, limiter, forwarding, metrics, now };
}

/** Rollout routing (docs/bot-runtime.md, Rollout routing): the routing source is a plugin of the app. */
async function rolloutRouter(
  app: FastifyInstance,
  deps: AppDeps,
  turns: TurnService,
  forwarding: ForwardingToken | undefined,
): Promise<TurnRouter> {
  const { rollout } = deps.config;
  const routing = rollout.routing && new RoutingState(deps.metrics, deps.log);
  if (rollout.routing && routing) {
    await app.register(routingPlugin({ source: rollout.routing, state: routing, log: deps.log }));
  }
  return new TurnRouter({
    turns,
    routing,
    store: app.sessions,
    forwarder: new Forwarder(rollout.urls, rollout.forwardTimeoutMs),
    forwardingToken: async () => forwarding?.current(),
    limiter: app.lifecycle.limiter,
    isDraining: () => app.lifecycle.draining,
    track: rollout.track,
    modelVersion: () => app.models.current.version,
    fleetId: rollout.fleetId,
    metrics: deps.metrics,
    log: deps.log,
  });
}

/**
 * Slowloris bounds: headers and the whole request must arrive in time, idle sockets are closed.
 * Node checks the first two every connectionsCheckingInterval (30 s by default): 1 s keeps the
 * cut-off close to the configured bound.
 */
function httpTimeoutOptions(config: Config): {
  connectionTimeout: number;
  keepAliveTimeout: number;
  requestTimeout: number;
  http: { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number };
} {
  const t = config.http;
  return {
    connectionTimeout: t.connectionTimeoutMs,
    keepAliveTimeout: t.keepAliveTimeoutMs,
    requestTimeout: t.requestTimeoutMs,
    http: {
      headersTimeout: t.headersTimeoutMs,
      requestTimeout: t.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, t.headersTimeoutMs),
    },
  };
}

function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, code } = classifyRequestError(err);
  if (status >= 500) req.log.error({ err }, 'unhandled error');
  return reply.code(status).send(errorBody(code, status >= 500 ? 'internal error' : err.message));
}
