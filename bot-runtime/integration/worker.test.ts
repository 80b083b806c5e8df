import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { normalise } from '../classifier/normalise.js';
import { loadConfig } from '../config.js';
import { FleetKeys } from '../sessions/keys.js';
import { startWorker, type RunningWorker } from '../worker/worker.js';
import { createTopic, deleteTopic, kafkaClient } from './support/kafka.js';
import { requireEnv, runId } from './support/env.js';

async function waitFor(cond: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

async function workerMetric(url: string, result: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(
    new RegExp(`chatfleet_worker_tasks_total\\{result="${result}"\\} (\\d+)`).exec(text)?.[1] ?? 0,
  );
}

describe('background worker (npm run bot -- worker)', () => {
  const topic = runId('cf-tasks');
  const version = runId('v');
  const fleetId = `test/${runId('worker')}`;
  const keys = new FleetKeys(fleetId);
  let worker: RunningWorker;
  let redis: Redis;

  beforeAll(async () => {
    await createTopic(topic, 2);
    redis = new Redis(requireEnv('REDIS_URL'));
    const config = loadConfig({
      REDIS_URL: requireEnv('REDIS_URL'),
      FLEET_ID: fleetId,
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      KAFKA_TASKS_TOPIC: topic,
      KAFKA_TASKS_GROUP: `${topic}-group`,
      WORKER_PORT: '0',
      HOST: '127.0.0.1',
    });
    worker = await startWorker(config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
  });
  afterAll(async () => {
    await worker?.shutdown('test');
    await redis?.quit();
    await deleteTopic(topic).catch(() => undefined);
  });

  it('applies tasks at least once and idempotently, and skips malformed ones', async () => {
    const sessionId = runId('gdpr');
    const k = keys.session(sessionId);
    await redis.rpush(k.turns, '1|{}');
    await redis.set(k.seq, '1');
    await redis.set(k.owner, 'someone');
    const producer = kafkaClient('cf-test-tasks').producer();
    await producer.connect();
    const put = {
      id: runId('t'),
      type: 'cache.put',
      modelVersion: version,
      question: 'Gift wrapping?',
      answer: 'Yes, 2 EUR.',
    };
    await producer.send({
      topic,
      messages: [
        { key: 'a', value: JSON.stringify(put) },
        { key: 'a', value: JSON.stringify(put) }, // a redelivery
        { key: 'b', value: 'not json' },
        { key: 'c', value: JSON.stringify({ id: runId('t'), type: 'session.delete', sessionId }) },
      ],
    });
    await producer.disconnect();

    const cacheKey = keys.answer(version, normalise('gift wrapping'));
    expect(await waitFor(async () => (await redis.get(cacheKey)) === 'Yes, 2 EUR.', 30_000)).toBe(true);
    expect(await waitFor(async () => (await redis.exists(k.turns, k.seq, k.owner)) === 0, 30_000)).toBe(true);
    expect(await waitFor(async () => (await workerMetric(worker.url, 'invalid')) === 1, 10_000)).toBe(true);
    expect(await workerMetric(worker.url, 'done')).toBe(2);
    expect(await workerMetric(worker.url, 'duplicate')).toBe(1);
    expect(await redis.ttl(cacheKey)).toBeGreaterThan(0);
  });
});
