import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { loadConfig } from '../config.js';
import { MAX_CACHED_ANSWER_BYTES } from '../tasks/task.js';
import { DLQ_HEADERS } from '../worker/dlq.js';
import { startWorker, type RunningWorker } from '../worker/worker.js';
import { requireEnv, runId } from './support/env.js';
import { createTopic, deleteTopic, kafkaClient } from './support/kafka.js';
import { readDlq, waitFor, workerTasks } from './support/worker.js';

/** Tasks the worker must refuse as invalid (DLQ, with the reason), against a real broker and Redis. */
describe('invalid tasks', () => {
  const topic = runId('cf-invalid');
  const dlq = `${topic}.dlq`;
  let worker: RunningWorker;
  const put = (question: string, answer: string): string =>
    JSON.stringify({ id: runId('put'), type: 'cache.put', modelVersion: 'v1', question, answer });

  beforeAll(async () => {
    await createTopic(topic, 1);
    await createTopic(dlq, 1);
    const config = loadConfig({
      REDIS_URL: requireEnv('REDIS_URL'),
      FLEET_ID: `test/${runId('invalid')}`,
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      KAFKA_TASKS_TOPIC: topic,
      KAFKA_TASKS_GROUP: `${topic}-group`,
      KAFKA_DLQ_TOPIC: dlq,
      MAX_MESSAGE_BYTES: '100',
      WORKER_PORT: '0',
      HOST: '127.0.0.1',
    });
    worker = await startWorker(config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
  });
  afterAll(async () => {
    await worker?.shutdown('test');
    await deleteTopic(topic).catch(() => undefined);
    await deleteTopic(dlq).catch(() => undefined);
  });

  it('dead-letters a cache.put whose question passes MAX_MESSAGE_BYTES or whose answer passes its cap', async () => {
    const producer = kafkaClient('cf-test-invalid').producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { key: 'long-question', value: put('q'.repeat(101), 'a') },
        { key: 'long-answer', value: put('q', 'a'.repeat(MAX_CACHED_ANSWER_BYTES + 1)) },
        { key: 'fine', value: put('q'.repeat(100), 'a'.repeat(MAX_CACHED_ANSWER_BYTES)) },
      ],
    });
    await producer.disconnect();
    const letters = await readDlq(dlq, 2, 30_000);
    const reasons = letters.map((l) => l.headers[DLQ_HEADERS.reason]).sort();
    expect(reasons).toEqual([
      `invalid task: answer over ${MAX_CACHED_ANSWER_BYTES} bytes`,
      'invalid task: question over 100 bytes (MAX_MESSAGE_BYTES)',
    ]);
    expect(
      await waitFor(async () => (await workerTasks(worker.url, 'cache.put', 'done')) === 1, 10_000),
    ).toBe(true);
  });

  it('dead-letters session.delete, summarize and webhook tasks whose session id is not one', async () => {
    const sessionId = 'x}:{sess:other'; // would name another session's keys
    const task = (type: string): string =>
      JSON.stringify({ id: runId(type), type, sessionId, throughSeq: 3, webhook: 'crm', intent: 'i' });
    const producer = kafkaClient('cf-test-invalid').producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: ['session.delete', 'summarize', 'webhook'].map((t) => ({ key: 'k', value: task(t) })),
    });
    await producer.disconnect();
    const letters = (await readDlq(dlq, 5, 30_000)).filter((l) => l.value.includes(sessionId));
    expect(letters.map((l) => l.headers[DLQ_HEADERS.type]).sort()).toEqual(['unknown', 'unknown', 'unknown']);
    expect(letters.map((l) => l.headers[DLQ_HEADERS.reason])).toEqual(
      Array(3).fill('invalid task: sessionId must match ^[A-Za-z0-9_-]{1,64}$'),
    );
    expect(await workerTasks(worker.url, 'session.delete', 'done')).toBe(0);
  });
});
