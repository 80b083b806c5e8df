import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { buildApp } from './app.js';
import { OpenAiCompatibleLlm } from './answer/llm-client.js';
import { ModelStore } from './classifier/model-store.js';
import type { Config } from './config.js';
import { disabledEventSink } from './events/conversation-event.js';
import { KafkaEventPublisher } from './events/kafka-publisher.js';
import { createMetrics, type Metrics } from './metrics.js';
import { connectRedis, createRedisClient, type RedisClient } from './redis/redis-client.js';
import { SessionStore } from './sessions/session-store.js';

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  shutdown: (signal: string) => Promise<void>;
}

/** Logs Redis availability changes once each, not once per reconnect attempt. */
function watchRedis(client: RedisClient, log: Logger): void {
  let up = false;
  client.on('ready', () => {
    up = true;
    log.info('redis ready');
  });
  client.on('error', (err: unknown) => {
    if (up) log.warn({ err }, 'redis unavailable; turns continue without history and cache');
    up = false;
  });
  client.on('end', () => (up = false));
}

async function openRedis(
  config: Config,
  log: Logger,
  connectTimeoutMs: number,
): Promise<{ client?: RedisClient; ready: boolean }> {
  if (!config.redis) {
    log.warn('neither REDIS_URL nor REDIS_CLUSTER_NODES set: sessions, answer cache and rate limits are off');
    return { ready: false };
  }
  const client = createRedisClient(config.redis, { commandTimeoutMs: config.redisCommandTimeoutMs });
  watchRedis(client, log);
  const ready = await connectRedis(client, connectTimeoutMs);
  if (!ready) log.warn({ mode: config.redis.mode }, 'redis not reachable yet; starting degraded');
  return { client, ready };
}

function openEvents(config: Config, log: Logger, metrics: Metrics): KafkaEventPublisher | undefined {
  if (!config.kafka) {
    log.warn('KAFKA_BROKERS not set: conversation events are off');
    return undefined;
  }
  const publisher = new KafkaEventPublisher(config.kafka, log, metrics, {
    bufferMax: config.eventsBufferMax,
    bufferMaxBytes: config.eventsBufferMaxBytes,
  });
  publisher.start();
  log.info({ topic: config.kafka.eventsTopic, brokers: config.kafka.brokers }, 'conversation events on');
  return publisher;
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
 * The one place that turns a Config into a running app: the model bundle (watched for edits),
 * Redis and the session store, the Kafka event publisher and the LLM client. Every resource is
 * released by the app's onClose hooks. Integration tests use exactly this wiring.
 */
export async function wireRuntime(
  config: Config,
  log: Logger,
  opts: { redisConnectTimeoutMs?: number } = {},
): Promise<WiredRuntime> {
  const registry = new Registry();
  const metrics = createMetrics(registry);
  const models = await ModelStore.open(
    {
      location: config.modelBundle,
      versionOverride: config.modelVersionOverride,
      pollIntervalMs: config.bundleWatchIntervalMs,
      memoMaxBytes: config.classifierMemoMaxBytes,
    },
    log,
    metrics,
  );
  models.start();
  const redis = await openRedis(config, log, opts.redisConnectTimeoutMs ?? 5000);
  const store =
    redis.client &&
    new SessionStore(redis.client, {
      ttlSeconds: config.sessionTtlSeconds,
      maxTurns: config.sessionMaxTurns,
      opTimeoutMs: config.redisCommandTimeoutMs,
      fleetId: config.rollout.fleetId,
    });
  const events = openEvents(config, log, metrics);
  const llm = config.llm && new OpenAiCompatibleLlm(config.llm, metrics);
  if (!llm) log.info('LLM_ENDPOINT not set: turns below the intent threshold get the fallback reply');
  const app = await buildApp({
    config,
    log,
    registry,
    metrics,
    models,
    store,
    redis: redis.client,
    events: events ?? disabledEventSink,
    llm,
  });
  return { app, registry, models, store, events, redisReady: redis.ready };
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
