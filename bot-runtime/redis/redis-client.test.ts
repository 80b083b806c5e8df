import { afterEach, describe, expect, it } from '@jest/globals';
import { Cluster, Redis } from 'ioredis';
import type { RedisConfig } from '../config.js';
import { createRedisClient, type RedisClient } from './redis-client.js';

// Real ioredis clients, never connected (lazyConnect): the options they would connect with.
const clients: RedisClient[] = [];
function client(cfg: RedisConfig): RedisClient {
  const c = createRedisClient(cfg, { commandTimeoutMs: 100 });
  clients.push(c);
  return c;
}

afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
});

describe('createRedisClient: TLS (REDIS_TLS)', () => {
  it.each([
    [
      'redis:// with tls',
      { mode: 'standalone', url: 'redis://127.0.0.1:1', password: undefined, tls: true },
      {},
    ],
    [
      'rediss:// (ioredis sets it from the URL)',
      { mode: 'standalone', url: 'rediss://127.0.0.1:1', password: undefined, tls: true },
      {},
    ],
    [
      'no tls',
      { mode: 'standalone', url: 'redis://127.0.0.1:1', password: undefined, tls: false },
      undefined,
    ],
  ] as const)('standalone, %s', (_name, cfg, tls) => {
    const c = client(cfg);
    if (!(c instanceof Redis)) throw new Error('expected a standalone client');
    expect(c.options.tls).toEqual(tls);
  });

  it.each([
    [true, {}],
    [false, undefined],
  ])('cluster, tls %s: every node connection gets it (redisOptions.tls)', (tls, expected) => {
    const c = client({ mode: 'cluster', nodes: [{ host: '127.0.0.1', port: 1 }], password: 'pw', tls });
    if (!(c instanceof Cluster)) throw new Error('expected a Cluster client');
    expect(c.options.redisOptions?.tls).toEqual(expected);
    expect(c.options.redisOptions?.password).toBe('pw');
  });
});
