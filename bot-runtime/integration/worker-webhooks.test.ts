import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { loadConfig } from '../config.js';
import { DLQ_HEADERS } from '../worker/dlq.js';
import { startWorker, type RunningWorker } from '../worker/worker.js';
import { requireEnv, runId } from './support/env.js';
import { createTopic, deleteTopic, kafkaClient } from './support/kafka.js';
import { readDlq, startReceiver, waitFor, workerTasks, type Receiver } from './support/worker.js';

const SECRET = 'hook-secret-1';

/** Webhook tasks against real loopback receivers, a real broker and Redis. */
describe('webhook tasks', () => {
  const topic = runId('cf-hooks');
  const dlq = `${topic}.dlq`;
  let worker: RunningWorker;
  let flaky: Receiver; // 503 three times, then 200
  let strict: Receiver; // 400: permanent
  let down: Receiver; // always 503; maxAttempts 2

  beforeAll(async () => {
    await createTopic(topic, 2);
    await createTopic(dlq, 1);
    flaky = await startReceiver(SECRET, (n) => (n < 3 ? 503 : 200));
    strict = await startReceiver(SECRET, () => 400);
    down = await startReceiver(SECRET, () => 503);
    const config = loadConfig({
      REDIS_URL: requireEnv('REDIS_URL'),
      FLEET_ID: `test/${runId('hooks')}`,
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      KAFKA_TASKS_TOPIC: topic,
      KAFKA_TASKS_GROUP: `${topic}-group`,
      KAFKA_DLQ_TOPIC: dlq,
      WORKER_RETRY_BASE_MS: '50',
      WORKER_WEBHOOKS: JSON.stringify([
        { name: 'flaky', url: flaky.url, maxAttempts: 5, timeoutMs: 2000 },
        { name: 'strict', url: strict.url, maxAttempts: 5, timeoutMs: 2000 },
        { name: 'down', url: down.url, maxAttempts: 2, timeoutMs: 2000 },
      ]),
      WEBHOOK_SECRET_FLAKY: SECRET,
      WEBHOOK_SECRET_STRICT: SECRET,
      WEBHOOK_SECRET_DOWN: SECRET,
      WORKER_PORT: '0',
      HOST: '127.0.0.1',
    });
    worker = await startWorker(config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
    const task = (webhook: string): string =>
      JSON.stringify({
        id: runId(`hook-${webhook}`),
        type: 'webhook',
        webhook,
        sessionId: 's1',
        intent: 'handoff',
        turn: 3,
      });
    const producer = kafkaClient('cf-test-hooks').producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: ['flaky', 'strict', 'down', 'nosuch'].map((w) => ({ key: w, value: task(w) })),
    });
    await producer.disconnect();
  });
  afterAll(async () => {
    await worker?.shutdown('test');
    await Promise.all([flaky, strict, down].map((r) => r?.close()));
    await deleteTopic(topic).catch(() => undefined);
    await deleteTopic(dlq).catch(() => undefined);
  });

  it('retries a receiver that fails 3 times: one effective delivery, every attempt signed, one idempotency key', async () => {
    expect(await waitFor(() => flaky.deliveries.length === 4, 30_000)).toBe(true);
    expect(flaky.deliveries.map((d) => d.status)).toEqual([503, 503, 503, 200]);
    expect(flaky.deliveries.every((d) => d.signatureValid)).toBe(true);
    expect(new Set(flaky.deliveries.map((d) => d.key)).size).toBe(1);
    expect(new Set(flaky.deliveries.map((d) => d.body)).size).toBe(1); // the same bytes every time
    expect(flaky.effective()).toHaveLength(1);
    expect(JSON.parse(flaky.effective()[0]!.body)).toMatchObject({
      type: 'webhook',
      webhook: 'flaky',
      intent: 'handoff',
    });
    expect(
      await waitFor(async () => (await workerTasks(worker.url, 'webhook', 'retried')) >= 3, 10_000),
    ).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    expect(flaky.deliveries).toHaveLength(4); // no delivery after the success
  });

  it('dead-letters a 4xx at once, an unknown webhook, and a receiver still failing after maxAttempts', async () => {
    const letters = await readDlq(dlq, 3, 30_000);
    const reasons = Object.fromEntries(
      letters.map((l) => [(JSON.parse(l.value) as { webhook: string }).webhook, l.headers]),
    );
    expect(reasons.strict?.[DLQ_HEADERS.reason]).toBe('HTTP 400');
    expect(reasons.strict?.[DLQ_HEADERS.attempts]).toBe('1');
    expect(reasons.nosuch?.[DLQ_HEADERS.reason]).toBe('unknown webhook "nosuch"');
    expect(reasons.down?.[DLQ_HEADERS.reason]).toBe('gave up after 2 attempts: HTTP 503');
    expect(reasons.down?.[DLQ_HEADERS.attempts]).toBe('2');
    expect(reasons.down?.[DLQ_HEADERS.type]).toBe('webhook');
    expect(strict.deliveries).toHaveLength(1);
    expect(down.deliveries).toHaveLength(2);
    expect(reasons.flaky).toBeUndefined();
  });
});
