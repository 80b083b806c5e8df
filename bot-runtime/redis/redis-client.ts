import { Cluster, Redis } from 'ioredis';
import type { RedisConfig } from '../config.js';

export type RedisClient = Redis | Cluster;

export interface RedisClientOptions {
  commandTimeoutMs: number;
}

/**
 * One client per process. Auto-pipelining (standalone mode) coalesces the commands of concurrent
 * turns into one socket write per event-loop tick. The offline queue is off: while Redis is unreachable a
 * command fails at once and the turn continues degraded, instead of piling up in memory.
 */
export function createRedisClient(cfg: RedisConfig, opts: RedisClientOptions): RedisClient {
  const common = {
    password: cfg.password,
    // REDIS_TLS (a rediss:// URL sets it too): Node's defaults, so the certificate and host are verified.
    ...(cfg.tls === true && { tls: {} }),
    commandTimeout: opts.commandTimeoutMs,
    maxRetriesPerRequest: 1,
    enableAutoPipelining: true,
    lazyConnect: true,
  };
  if (cfg.mode === 'standalone') {
    return new Redis(cfg.url, {
      ...common,
      enableOfflineQueue: false,
      retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    });
  }
  return new Cluster(cfg.nodes, {
    // No auto-pipelining in Cluster mode: ioredis routes an auto-pipelined EVALSHA by its first
    // argument (the script digest), not its key (redis/ioredis#2109), and with incomplete slot
    // information it threw an uncaught TypeError here that crashed a bench run (cf. #1248).
    // A turn is one script call on its session's slot, so plain routing costs little.
    // Every node connection, the slot refreshes' included, gets the TLS of `common`.
    redisOptions: { ...common, enableAutoPipelining: false },
    enableOfflineQueue: false,
    enableAutoPipelining: false,
    lazyConnect: true,
    clusterRetryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    slotsRefreshTimeout: 2000,
  });
}

export function isRedisReady(client: RedisClient): boolean {
  return client.status === 'ready';
}

/** Connects, bounded by timeoutMs; resolves false (and keeps reconnecting) when Redis is not there yet. */
export async function connectRedis(client: RedisClient, timeoutMs: number): Promise<boolean> {
  const ready = new Promise<boolean>((resolve) => {
    client.once('ready', () => resolve(true));
  });
  client.connect().catch(() => undefined); // errors surface as 'error' events and reconnects
  const timer = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
  return Promise.race([ready, timer]);
}
