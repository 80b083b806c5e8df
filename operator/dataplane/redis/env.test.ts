import { describe, expect, it } from '@jest/globals';
import type { RedisSpecInput } from '../../api/index.js';
import { testCbd } from '../fixtures.js';
import { kafkaEnv } from '../kafka/env.js';
import type { ChatbotDeployment } from '../types.js';
import { redisEnv } from './env.js';

function cbd(redis?: RedisSpecInput): ChatbotDeployment {
  return testCbd(redis ? { redis } : {});
}

describe('redisEnv', () => {
  it('standalone: REDIS_URL to the client Service and password by secretKeyRef', () => {
    expect(redisEnv(cbd())).toEqual([
      { name: 'REDIS_URL', value: 'redis://support-redis.bots.svc:6379' },
      {
        name: 'REDIS_PASSWORD',
        valueFrom: { secretKeyRef: { name: 'support-redis-auth', key: 'password', optional: false } },
      },
    ]);
  });

  it('cluster: REDIS_CLUSTER_NODES lists every shard pod 0', () => {
    const env = redisEnv(cbd({ topology: 'cluster', shards: 3 }));
    expect(env[0]).toEqual({
      name: 'REDIS_CLUSTER_NODES',
      value: [0, 1, 2]
        .map((i) => `support-redis-shard-${i}-0.support-redis-headless.bots.svc:6379`)
        .join(','),
    });
    expect(env.map((e) => e.name)).toEqual(['REDIS_CLUSTER_NODES', 'REDIS_PASSWORD']);
  });

  it('external: everything via optional secretKeyRefs to the user Secret', () => {
    const env = redisEnv(cbd({ mode: 'external', secretRef: { name: 'ext' } }));
    expect(env.map((e) => [e.name, e.valueFrom?.secretKeyRef?.key, e.value])).toEqual([
      ['REDIS_URL', 'url', undefined],
      ['REDIS_CLUSTER_NODES', 'clusterNodes', undefined],
      ['REDIS_PASSWORD', 'password', undefined],
      ['REDIS_TLS', 'tls', undefined],
    ]);
    expect(env.every((e) => e.valueFrom?.secretKeyRef?.name === 'ext')).toBe(true);
  });
});

describe('bot env: Redis first, then Kafka (the order RedisComponent and KafkaTopicsComponent run in)', () => {
  it('standalone Redis and a Kafka block', () => {
    const both = testCbd({ kafka: { bootstrapServers: ['b:1'] } });
    expect([...redisEnv(both), ...kafkaEnv(both)].map((e) => e.name)).toEqual([
      'REDIS_URL',
      'REDIS_PASSWORD',
      'KAFKA_BROKERS',
      'KAFKA_EVENTS_TOPIC',
      'KAFKA_TASKS_TOPIC',
    ]);
  });
});
