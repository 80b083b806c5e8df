import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { Registry } from 'prom-client';
import type { ModelStore } from '../../classifier/model-store.js';
import { loadConfig, type Config } from '../../config.js';
import type { KafkaEventPublisher } from '../../events/kafka-publisher.js';
import { wireRuntime } from '../../server.js';
import { startFakeLlm, type FakeLlm } from './llm-server.js';
import type { SessionStore } from '../../sessions/session-store.js';

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

/**
 * The runtime exactly as server.ts wires it (real Redis, Kafka, LLM peer), listening on
 * 127.0.0.1:random. requireRedis false: start degraded, as the server does, when Redis is down or
 * a cluster is blank.
 */
export async function startRuntime(
  env: Record<string, string>,
  opts: { requireRedis?: boolean; port?: number } = {},
): Promise<Runtime> {
  // the per-client rate limit is off unless a test sets it: all of a test's load has one address
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', RATE_LIMIT_PER_MINUTE: '0', ...env });
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const required = opts.requireRedis !== false;
  const wired = await wireRuntime(config, log, { redisConnectTimeoutMs: required ? 10_000 : 1000 });
  if (config.redis && required && !wired.redisReady) {
    await wired.app.close();
    throw new Error('Redis did not become ready');
  }
  const url = await wired.app.listen({ port: opts.port ?? 0, host: '127.0.0.1' });
  return { ...wired, url, config, close: () => wired.app.close() };
}

export type RuntimeWithLlm = Runtime & { llm: FakeLlm };

/** A runtime whose LLM_ENDPOINT is a fake LLM on loopback (answering at once); close() stops both. */
export async function startRuntimeWithLlm(
  env: Record<string, string>,
  opts: { requireRedis?: boolean } = {},
): Promise<RuntimeWithLlm> {
  const llm = await startFakeLlm(0);
  try {
    const rt = await startRuntime({ LLM_ENDPOINT: `${llm.url}/v1`, ...env }, opts);
    const close = async (): Promise<void> => {
      await rt.close();
      await llm.close();
    };
    return { ...rt, llm, close };
  } catch (err) {
    await llm.close();
    throw err;
  }
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

/**
 * One conversation over HTTP: the first turn starts a session (the server makes its id), every
 * later turn continues it. Clients cannot choose ids: an id the server did not make is a 404.
 */
export class Conversation {
  sessionId: string | undefined;

  constructor(
    private readonly url: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  async say(message: string, extra: Record<string, unknown> = {}): ReturnType<typeof postChat> {
    const body = { message, ...(this.sessionId !== undefined && { sessionId: this.sessionId }), ...extra };
    const res = await postChat(this.url, body, this.headers);
    if (res.status === 200 && typeof res.body.sessionId === 'string') this.sessionId ??= res.body.sessionId;
    return res;
  }

  /** The session id, after the first successful turn. */
  get id(): string {
    if (this.sessionId === undefined) throw new Error('the conversation has no session yet');
    return this.sessionId;
  }
}
