import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { buildApp } from '../../app.js';
import { OpenAiCompatibleLlm } from '../../answer/llm-client.js';
import { ModelStore } from '../../classifier/model-store.js';
import { loadConfig, type Config } from '../../config.js';
import { disabledEventSink } from '../../events/conversation-event.js';
import { KafkaEventPublisher } from '../../events/kafka-publisher.js';
import { createMetrics } from '../../metrics.js';
import { connectRedis, createRedisClient, type RedisClient } from '../../redis/redis-client.js';
import { SessionStore } from '../../sessions/session-store.js';

export interface Runtime {
  app: FastifyInstance;
  url: string;
  config: Config;
  models: ModelStore;
  store: SessionStore | undefined;
  events: KafkaEventPublisher | undefined;
  registry: Registry;
  close: () => Promise<void>;
}

/** The runtime as server.ts wires it (real Redis, Kafka, LLM peer), listening on 127.0.0.1:random. */
export async function startRuntime(
  env: Record<string, string>,
  opts: { requireRedis?: boolean } = {},
): Promise<Runtime> {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', ...env });
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const registry = new Registry();
  const metrics = createMetrics(registry);
  const models = await ModelStore.open(
    {
      location: config.modelBundle,
      versionOverride: config.modelVersionOverride,
      pollIntervalMs: config.bundleWatchIntervalMs,
    },
    log,
    metrics,
  );
  const redis =
    config.redis && createRedisClient(config.redis, { commandTimeoutMs: config.redisCommandTimeoutMs });
  if (redis) await awaitRedis(redis, opts.requireRedis !== false);
  const store =
    redis &&
    new SessionStore(redis, {
      ttlSeconds: config.sessionTtlSeconds,
      maxTurns: config.sessionMaxTurns,
      opTimeoutMs: config.redisCommandTimeoutMs,
    });
  const events =
    config.kafka &&
    new KafkaEventPublisher(config.kafka, log, metrics, { bufferMax: config.eventsBufferMax });
  events?.start();
  const llm = config.llm && new OpenAiCompatibleLlm(config.llm, metrics);
  const app = await buildApp({
    config,
    log,
    registry,
    metrics,
    models,
    store,
    redis,
    events: events ?? disabledEventSink,
    llm,
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url, config, models, store, events, registry, close: () => app.close() };
}

/** requireRedis false: start degraded, as server.ts does, when Redis is down or a cluster is blank. */
async function awaitRedis(redis: RedisClient, required: boolean): Promise<void> {
  const ready = await connectRedis(redis, required ? 10_000 : 1000);
  if (!ready && required) throw new Error('Redis did not become ready');
}

export async function postChat(
  url: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${url}/v1/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const values = (await metric.get()).values.filter((v) =>
    Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val),
  );
  return values.reduce((sum, v) => sum + v.value, 0);
}
