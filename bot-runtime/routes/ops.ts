import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { EventSink } from '../events/conversation-event.js';
import { isRedisReady, type RedisClient } from '../redis/redis-client.js';
import { healthSchema, metricsSchema, readySchema } from './schemas.js';

export interface OpsContext {
  registry: Registry;
  redis: RedisClient | undefined;
  events: EventSink & { pending?: number };
  modelVersion: () => string;
  isDraining: () => boolean;
}

type RedisState = 'up' | 'down' | 'disabled';
type KafkaState = 'connected' | 'disconnected' | 'disabled';

function redisState(redis: RedisClient | undefined): RedisState {
  if (!redis) return 'disabled';
  return isRedisReady(redis) ? 'up' : 'down';
}

function kafkaState(events: EventSink): KafkaState {
  if (!events.enabled) return 'disabled';
  return events.connected ? 'connected' : 'disconnected';
}

/**
 * /readyz fails (503) only while draining. With Redis down it stays 200 but says "degraded":
 * every pod shares that Redis, so failing readiness would take the whole fleet out of the
 * Service while each pod can still answer (without history/cache). Kafka is reported, never fatal.
 */
export function opsRoutes(ctx: OpsContext) {
  return (app: FastifyInstance, _opts: unknown, done: (err?: Error) => void): void => {
    app.get('/healthz', { schema: healthSchema }, () => ({ status: 'ok' }));

    app.get('/readyz', { schema: readySchema }, async (_req, reply) => {
      const redis = redisState(ctx.redis);
      const body = {
        status: ctx.isDraining() ? 'draining' : redis === 'down' ? 'degraded' : 'ready',
        modelVersion: ctx.modelVersion(),
        redis,
        kafka: kafkaState(ctx.events),
        eventsBuffered: ctx.events.pending ?? 0,
      };
      return reply.code(ctx.isDraining() ? 503 : 200).send(body);
    });

    app.get('/metrics', { schema: metricsSchema }, async (_req, reply) => {
      const text = await ctx.registry.metrics();
      return reply.type(ctx.registry.contentType).send(text);
    });

    app.get('/docs/json', { schema: { hide: true } }, () => app.swagger());
    done();
  };
}
