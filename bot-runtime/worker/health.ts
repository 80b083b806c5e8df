import Fastify from 'fastify';
import type { Registry } from 'prom-client';
import type { Config } from '../config.js';
import { withDeadline } from '../redis/deadline.js';
import type { RedisClient } from '../redis/redis-client.js';

/** What /readyz checks: the consumer joined its group, and Redis answers a PING. */
export interface Readiness {
  joined: boolean;
  redis: RedisClient;
}

async function redisAnswers(redis: RedisClient): Promise<boolean> {
  try {
    return (await withDeadline(redis.ping(), 1000, 'ping')) === 'PONG';
  } catch {
    return false;
  }
}

/** The worker's port (WORKER_PORT): /healthz (liveness), /readyz, /metrics. */
export async function startHealthServer(
  config: Config,
  registry: Registry,
  readiness: Readiness,
): Promise<{ url: string; close: () => Promise<void> }> {
  const http = Fastify({ logger: false });
  http.get('/healthz', () => ({ status: 'ok' }));
  http.get('/readyz', async (_req, reply) => {
    const redis = await redisAnswers(readiness.redis);
    const ready = readiness.joined && redis;
    return reply.code(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not_ready',
      consumerGroup: readiness.joined ? 'joined' : 'not_joined',
      redis: redis ? 'up' : 'down',
    });
  });
  http.get('/metrics', async (_req, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  const url = await http.listen({ port: config.workerPort, host: config.host });
  return { url, close: () => http.close() };
}
