import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { sharedPlugin, type SharedPlugin } from '../plugins/shared-plugin.js';
import { connectRedis, createRedisClient, type RedisClient } from './redis-client.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The one Redis client of the process; undefined when neither REDIS_URL nor REDIS_CLUSTER_NODES is set. */
    redis: RedisClient | undefined;
  }
}

export interface RedisPluginOptions {
  config: Config;
  log: Logger;
  /** How long startup waits for Redis before it starts degraded (it keeps reconnecting). */
  connectTimeoutMs: number;
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

/**
 * Opens the Redis client (like @fastify/redis) and decorates the app with it; onClose quits it.
 * The close hook is added before connecting, so a connection that is still being made is released too.
 */
export function redisPlugin(opts: RedisPluginOptions): SharedPlugin {
  return sharedPlugin(async (app: FastifyInstance): Promise<void> => {
    const { config, log } = opts;
    if (!config.redis) {
      log.warn(
        'neither REDIS_URL nor REDIS_CLUSTER_NODES set: sessions, answer cache and rate limits are off',
      );
      app.decorate<RedisClient | undefined>('redis', undefined);
      return;
    }
    const client = createRedisClient(config.redis, { commandTimeoutMs: config.redisCommandTimeoutMs });
    app.decorate<RedisClient | undefined>('redis', client);
    app.addHook('onClose', async () => {
      await client.quit().catch(() => client.disconnect());
    });
    watchRedis(client, log);
    const ready = await connectRedis(client, opts.connectTimeoutMs);
    if (!ready) log.warn({ mode: config.redis.mode }, 'redis not reachable yet; starting degraded');
  });
}
