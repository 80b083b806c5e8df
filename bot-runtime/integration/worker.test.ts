import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { normalise } from '../classifier/normalise.js';
import { loadConfig } from '../config.js';
import { FleetKeys } from '../sessions/keys.js';
import { DLQ_HEADERS } from '../worker/dlq.js';
import { startWorker, type RunningWorker } from '../worker/worker.js';
import { createTopic, deleteTopic, kafkaClient } from './support/kafka.js';
import { requireEnv, runId } from './support/env.js';
import { readDlq, waitFor, workerTasks } from './support/worker.js';

describe('background worker (npm run bot -- worker)', () => {
  const topic = runId('cf-tasks');
  const dlq = `${topic}.dlq`;
  const version = runId('v');
  const fleetId = `test/${runId('worker')}`;
  const keys = new FleetKeys(fleetId);
  let worker: RunningWorker;
  let redis: Redis;

  beforeAll(async () => {
    await createTopic(topic, 2);
    await createTopic(dlq, 1);
    redis = new Redis(requireEnv('REDIS_URL'));
    const config = loadConfig({
      REDIS_URL: requireEnv('REDIS_URL'),
      FLEET_ID: fleetId,
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      KAFKA_TASKS_TOPIC: topic,
      KAFKA_TASKS_GROUP: `${topic}-group`,
      KAFKA_DLQ_TOPIC: dlq,
      WORKER_PORT: '0',
      HOST: '127.0.0.1',
    });
    worker = await startWorker(config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
  });
  afterAll(async () => {
    await worker?.shutdown('test');
    await redis?.quit();
    await deleteTopic(topic).catch(() => undefined);
    await deleteTopic(dlq).catch(() => undefined);
  });

  it('is ready once its consumer joined the group and Redis answers', async () => {
    expect(await waitFor(async () => (await fetch(`${worker.url}/readyz`)).status === 200, 30_000)).toBe(
      true,
    );
    expect(await (await fetch(`${worker.url}/readyz`)).json()).toEqual({
      status: 'ready',
      consumerGroup: 'joined',
      redis: 'up',
    });
  });

  it('applies tasks at least once and idempotently, and dead-letters poison tasks with the reason', async () => {
    const sessionId = runId('gdpr');
    const k = keys.session(sessionId);
    await redis.rpush(k.turns, '1|{}');
    await redis.set(k.seq, '1');
    await redis.set(k.owner, 'someone');
    await redis.hset(k.summary, 'text', 's', 'through', '1');
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
        { key: 'b', value: JSON.stringify({ id: runId('t'), type: 'format.disk' }) },
        { key: 'c', value: JSON.stringify({ id: runId('t'), type: 'session.delete', sessionId }) },
      ],
    });
    await producer.disconnect();

    const cacheKey = keys.answer(version, normalise('gift wrapping'));
    expect(await waitFor(async () => (await redis.get(cacheKey)) === 'Yes, 2 EUR.', 30_000)).toBe(true);
    expect(
      await waitFor(async () => (await redis.exists(k.turns, k.seq, k.owner, k.summary)) === 0, 30_000),
    ).toBe(true);
    expect(await redis.ttl(cacheKey)).toBeGreaterThan(0);

    // read back from the real topic: the task's own bytes, and why it is there
    const letters = await readDlq(dlq, 2, 30_000);
    expect(letters).toHaveLength(2);
    expect(letters.map((l) => l.value)).toEqual(
      expect.arrayContaining(['not json', expect.stringContaining('"type":"format.disk"')]),
    );
    const byValue = new Map(letters.map((l) => [l.value, l.headers]));
    expect(byValue.get('not json')?.[DLQ_HEADERS.reason]).toBe('invalid task: not JSON');
    expect(byValue.get('not json')?.[DLQ_HEADERS.attempts]).toBe('0');
    expect(byValue.get('not json')?.[DLQ_HEADERS.source]).toMatch(new RegExp(`^${topic}/\\d/\\d+$`));
    const unknown = letters.find((l) => l.value.includes('format.disk'));
    expect(unknown?.headers[DLQ_HEADERS.reason]).toMatch(/unknown type "format.disk"/);

    expect(
      await waitFor(async () => (await workerTasks(worker.url, 'unknown', 'dead_lettered')) === 2, 10_000),
    ).toBe(true);
    expect(await workerTasks(worker.url, 'cache.put', 'done')).toBe(1);
    expect(await workerTasks(worker.url, 'cache.put', 'duplicate')).toBe(1);
    expect(await workerTasks(worker.url, 'session.delete', 'done')).toBe(1);
    const metrics = await (await fetch(`${worker.url}/metrics`)).text();
    expect(metrics).toMatch(/chatfleet_worker_task_duration_seconds_count\{type="cache\.put"\} 2/);
    expect(metrics).toMatch(/chatfleet_worker_inflight 0/);
    // Node's own metrics, and none of the chat server's: a worker pod serves no turns.
    expect(metrics).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(metrics).not.toMatch(/chatfleet_turn|chatfleet_events_|chatfleet_websocket/);
  });
});
