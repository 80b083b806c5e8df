import { afterAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { normalise } from '../classifier/normalise.js';
import { loadConfig } from '../config.js';
import { FleetKeys } from '../sessions/keys.js';
import { startWorker } from '../worker/worker.js';
import { requireEnv, runId } from './support/env.js';
import { createTopic, deleteTopic, kafkaClient } from './support/kafka.js';

/** A worker whose start fails after Kafka connected (its port is taken) leaves nothing running. */
describe('worker start failure', () => {
  const topic = runId('cf-startfail');
  const fleetId = `test/${runId('startfail')}`;
  const keys = new FleetKeys(fleetId);
  const redis = new Redis(requireEnv('REDIS_URL'));
  let taken: Server | undefined;

  afterAll(async () => {
    taken?.close();
    await redis.quit();
    await deleteTopic(topic).catch(() => undefined);
  });

  it('releases the consumer, the producer and Redis when the health port cannot be bound', async () => {
    await createTopic(topic, 1);
    const server = createServer();
    taken = server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const config = loadConfig({
      REDIS_URL: requireEnv('REDIS_URL'),
      FLEET_ID: fleetId,
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      KAFKA_TASKS_TOPIC: topic,
      KAFKA_TASKS_GROUP: `${topic}-group`,
      WORKER_PORT: String((server.address() as AddressInfo).port),
      HOST: '127.0.0.1',
    });
    await expect(startWorker(config, pino({ level: 'silent' }))).rejects.toThrow(/EADDRINUSE/);

    // a consumer left running would still join the group and run this task
    const producer = kafkaClient('cf-test-startfail').producer();
    await producer.connect();
    const put = { id: runId('put'), type: 'cache.put', modelVersion: 'v1', question: 'leak?', answer: 'yes' };
    await producer.send({ topic, messages: [{ key: 'k', value: JSON.stringify(put) }] });
    await producer.disconnect();
    await new Promise((r) => setTimeout(r, 6000));
    expect(await redis.exists(keys.answer('v1', normalise('leak?')))).toBe(0);
  }, 30_000);
});
