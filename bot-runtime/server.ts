import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { buildApp } from './app.js';
import { OpenAiCompatibleLlm } from './answer/llm-client.js';
import type { ModelStore } from './classifier/model-store.js';
import type { Config } from './config.js';
import { KafkaEventPublisher } from './events/kafka-publisher.js';
import { createMetrics } from './metrics.js';
import { isRedisReady } from './redis/redis-client.js';
import type { SessionStore } from './sessions/session-store.js';

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  shutdown: (signal: string) => Promise<void>;
}

/** The app with every resource its config names opened; not listening yet. */
export interface WiredRuntime {
  app: FastifyInstance;
  registry: Registry;
  models: ModelStore;
  store: SessionStore | undefined;
  events: KafkaEventPublisher | undefined;
  /** Whether Redis answered within redisConnectTimeoutMs (the runtime starts degraded if not). */
  redisReady: boolean;
}

/**
 * The one place that turns a Config into a running app: a metrics registry and the LLM client;
 * buildApp opens (and its onClose releases) the model bundle, Redis and the Kafka publisher.
 * Integration tests use exactly this wiring.
 */
export async function wireRuntime(
  config: Config,
  log: Logger,
  opts: { redisConnectTimeoutMs?: number } = {},
): Promise<WiredRuntime> {
  const registry = new Registry();
  const metrics = createMetrics(registry);
  const llm = config.llm && new OpenAiCompatibleLlm(config.llm, metrics);
  if (!llm) log.info('LLM_ENDPOINT not set: turns below the intent threshold get the fallback reply');
  const app = await buildApp({ config, log, registry, metrics, llm, ...opts });
  return {
    app,
    registry,
    models: app.models,
    store: app.sessions,
    events: app.events instanceof KafkaEventPublisher ? app.events : undefined,
    redisReady: app.redis !== undefined && isRedisReady(app.redis),
  };
}

/** Wires the runtime, listens on config.host:config.port, and returns the SIGTERM drain. */
export async function startServer(config: Config, log: Logger): Promise<RunningServer> {
  const { app, models } = await wireRuntime(config, log);
  const url = await app.listen({ port: config.port, host: config.host });
  log.info({ url, modelVersion: models.current.version }, 'bot runtime listening');
  const shutdown = makeShutdown(app, config, log);
  return { app, url, shutdown };
}

/**
 * SIGTERM: readiness fails and new turns get 503 at once; in-flight turns (HTTP and WebSocket)
 * finish within DRAIN_TIMEOUT_MS; then WebSockets close with 1012 (cut after CLOSE_TIMEOUT_MS), the
 * server closes, the event buffer is flushed (within EVENTS_FLUSH_TIMEOUT_MS) and Redis released
 * (onClose hooks). main.ts exits 1 if all of that overruns the three budgets.
 */
function makeShutdown(app: FastifyInstance, config: Config, log: Logger): (signal: string) => Promise<void> {
  let closing: Promise<void> | undefined;
  return (signal) => {
    closing ??= (async () => {
      const { lifecycle } = app;
      lifecycle.draining = true;
      log.info({ signal, inflight: lifecycle.limiter.inflight }, 'draining');
      const deadline = Date.now() + config.drainTimeoutMs;
      while (lifecycle.limiter.inflight > 0 && Date.now() < deadline) await sleep(10);
      if (lifecycle.limiter.inflight > 0)
        log.warn({ inflight: lifecycle.limiter.inflight }, 'drain timeout reached');
      await app.close();
      log.info('shut down');
    })();
    return closing;
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
