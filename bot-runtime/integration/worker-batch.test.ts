import { afterAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { loadConfig } from '../config.js';
import { startWorker, type RunningWorker } from '../worker/worker.js';
import { requireEnv, runId } from './support/env.js';
import { createTopic, deleteTopic, kafkaClient } from './support/kafka.js';

/** The group's committed offset of partition 0 ('-1': none yet). */
async function committedOffset(topic: string): Promise<string> {
  const admin = kafkaClient('cf-test-batch-admin').admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId: `${topic}-group`, topics: [topic] });
    return t?.partitions.find((p) => p.partition === 0)?.offset ?? '-1';
  } finally {
    await admin.disconnect();
  }
}
import { startReceiver, waitFor, type Receiver } from './support/worker.js';

const SECRET = 'batch-secret';

interface Hook {
  name: string;
  url: string;
  maxAttempts: number;
}

/**
 * A one-partition tasks topic with `tasks` (key, webhook name) already on it, then a worker with
 * WORKER_CONCURRENCY `concurrency` and a backoff of up to `retryMs`: the tasks arrive in one batch.
 */
async function workerOn(
  topic: string,
  hooks: Hook[],
  tasks: { key: string; webhook: string }[],
  opts: { concurrency: number; retryMs: number },
): Promise<RunningWorker> {
  await createTopic(topic, 1);
  await createTopic(`${topic}.dlq`, 1);
  const producer = kafkaClient('cf-test-batch').producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: tasks.map((t, i) => ({
      key: t.key,
      value: JSON.stringify({
        id: runId(`batch-${i}`),
        type: 'webhook',
        webhook: t.webhook,
        sessionId: t.key,
        intent: 'handoff',
        turn: i + 1,
      }),
    })),
  });
  await producer.disconnect();
  const env: Record<string, string> = {
    REDIS_URL: requireEnv('REDIS_URL'),
    FLEET_ID: `test/${runId('batch')}`,
    KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
    KAFKA_TASKS_TOPIC: topic,
    KAFKA_TASKS_GROUP: `${topic}-group`,
    KAFKA_DLQ_TOPIC: `${topic}.dlq`,
    WORKER_CONCURRENCY: String(opts.concurrency),
    WORKER_RETRY_BASE_MS: String(opts.retryMs),
    WORKER_RETRY_MAX_MS: String(opts.retryMs),
    WORKER_WEBHOOKS: JSON.stringify(hooks.map((h) => ({ ...h, timeoutMs: 2000 }))),
    WORKER_PORT: '0',
    HOST: '127.0.0.1',
  };
  for (const h of hooks) env[`WEBHOOK_SECRET_${h.name.toUpperCase()}`] = SECRET;
  return startWorker(loadConfig(env), pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
}

/** Worker batches against a real broker, Redis and loopback receivers. */
describe('worker batches', () => {
  const topics: string[] = [];
  const workers: RunningWorker[] = [];
  const receivers: Receiver[] = [];
  const topicFor = (name: string): string => {
    const t = runId(`cf-batch-${name}`);
    topics.push(t);
    return t;
  };

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.shutdown('test')));
    await Promise.all(receivers.map((r) => r.close()));
    for (const t of topics) {
      await deleteTopic(t).catch(() => undefined);
      await deleteTopic(`${t}.dlq`).catch(() => undefined);
    }
  });

  it('a task sleeping in backoff holds no slot: with concurrency 1 the other tasks of the batch still run', async () => {
    const down = await startReceiver(SECRET, () => 503);
    const ok = await startReceiver(SECRET, () => 200);
    receivers.push(down, ok);
    const hooks = [
      { name: 'down', url: down.url, maxAttempts: 50 }, // ~50 s of backoff in all
      { name: 'ok', url: ok.url, maxAttempts: 5 },
    ];
    const tasks = [
      { key: 's-down', webhook: 'down' },
      { key: 's-ok1', webhook: 'ok' },
      { key: 's-ok2', webhook: 'ok' },
    ];
    workers.push(await workerOn(topicFor('slots'), hooks, tasks, { concurrency: 1, retryMs: 2000 }));
    expect(await waitFor(() => ok.deliveries.length === 2, 15_000)).toBe(true);
    expect(down.deliveries.length).toBeGreaterThanOrEqual(1);
    expect(down.deliveries.length).toBeLessThan(50); // still retrying: it was not simply finished first
  });

  it("runs one session's tasks in order, retries included, while other sessions' tasks run meanwhile", async () => {
    const log: string[] = [];
    const logged = (name: string) => (d: { status: number }) => {
      log.push(`${name} ${d.status}`);
      return Promise.resolve();
    };
    const flaky = await startReceiver(SECRET, (n) => (n < 2 ? 503 : 200), logged('first'));
    const next = await startReceiver(SECRET, () => 200, logged('second'));
    const other = await startReceiver(SECRET, () => 200, logged('other'));
    receivers.push(flaky, next, other);
    const hooks = [
      { name: 'first', url: flaky.url, maxAttempts: 5 },
      { name: 'second', url: next.url, maxAttempts: 5 },
      { name: 'other', url: other.url, maxAttempts: 5 },
    ];
    const tasks = [
      { key: 's-1', webhook: 'first' },
      { key: 's-1', webhook: 'second' },
      { key: 's-2', webhook: 'other' },
    ];
    workers.push(await workerOn(topicFor('order'), hooks, tasks, { concurrency: 4, retryMs: 1000 }));
    expect(await waitFor(() => log.length === 5, 15_000)).toBe(true);
    expect(log.filter((l) => !l.startsWith('other'))).toEqual([
      'first 503',
      'first 503',
      'first 200',
      'second 200',
    ]);
    expect(log.indexOf('other 200')).toBeLessThan(log.indexOf('first 200'));
  });

  it('commits the finished prefix during a batch while a later task still retries', async () => {
    const down = await startReceiver(SECRET, () => 503);
    const ok = await startReceiver(SECRET, () => 200);
    receivers.push(down, ok);
    const hooks = [
      { name: 'down', url: down.url, maxAttempts: 50 },
      { name: 'ok', url: ok.url, maxAttempts: 5 },
    ];
    const tasks = [
      { key: 'c-1', webhook: 'ok' },
      { key: 'c-2', webhook: 'ok' },
      { key: 'c-3', webhook: 'down' },
      { key: 'c-4', webhook: 'ok' }, // finished, but after the unfinished one: not committable
    ];
    const topic = topicFor('commit');
    workers.push(await workerOn(topic, hooks, tasks, { concurrency: 4, retryMs: 2000 }));
    expect(await waitFor(() => ok.deliveries.length === 3, 10_000)).toBe(true);
    // the next offset to read is the retrying task's (2): at least once, nothing past it
    expect(await waitFor(async () => (await committedOffset(topic)) === '2', 8_000)).toBe(true);
    expect(down.deliveries.length).toBeLessThan(50); // the batch has not ended
    await new Promise((r) => setTimeout(r, 1500));
    expect(await committedOffset(topic)).toBe('2');
  });
});
