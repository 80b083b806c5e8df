import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { FleetKeys } from '../sessions/keys.js';
import { SessionStore } from '../sessions/session-store.js';
import { requireEnv, runId } from './support/env.js';
import { createTopic, deleteTopic, kafkaClient } from './support/kafka.js';
import { startSizedLlm, type SizedLlm } from './support/sized-llm.js';
import {
  llmTurn,
  spawnWorker,
  startReceiver,
  waitFor,
  workerTasks,
  type Receiver,
  type WorkerChild,
} from './support/worker.js';

const SECRET = 'crash-secret';

/**
 * A worker process SIGKILLed mid-task, between the effect and the commit: the receiver has taken
 * the webhook (it acts on it) when the worker dies, before the worker hears back, marks it done or
 * commits. A second worker of the group gets the partition and runs the uncommitted tasks again:
 * the webhook is delivered a second time with the same Idempotency-Key (one effective delivery),
 * and the summary, already applied, is not applied again (its write is a compare-and-set).
 */
describe('a worker killed mid-task', () => {
  const topic = runId('cf-crash');
  const fleetId = `test/${runId('crash')}`;
  const keys = new FleetKeys(fleetId);
  let redis: Redis;
  let llm: SizedLlm;
  let receiver: Receiver;
  let first: WorkerChild | undefined;
  let second: WorkerChild | undefined;
  let env: Record<string, string>;
  const sessionId = runId('s');

  beforeAll(async () => {
    await createTopic(topic, 1);
    await createTopic(`${topic}.dlq`, 1);
    redis = new Redis(requireEnv('REDIS_URL'));
    await redis.ping();
    const store = new SessionStore(redis, { ttlSeconds: 600, maxTurns: 50, fleetId });
    for (let i = 1; i <= 10; i++)
      await store.appendTurn({ id: sessionId, owner: '-', isNew: i === 1 }, llmTurn(i));
    llm = await startSizedLlm(0, 0);
    receiver = await startReceiver(
      SECRET,
      () => 200,
      async (d) => {
        if (receiver.deliveries.length !== 1 || !first) return;
        // the receiver has the delivery; the worker dies before it reads the reply
        const exited = new Promise((r) => first?.proc.once('exit', r));
        first.proc.kill('SIGKILL');
        await exited;
        void d;
      },
    );
    env = {
      REDIS_URL: requireEnv('REDIS_URL'),
      FLEET_ID: fleetId,
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      KAFKA_TASKS_TOPIC: topic,
      KAFKA_TASKS_GROUP: `${topic}-group`,
      LLM_ENDPOINT: llm.url,
      WORKER_CONCURRENCY: '1',
      WORKER_SESSION_TIMEOUT_MS: '6000',
      WORKER_WEBHOOKS: JSON.stringify([{ name: 'crm', url: receiver.url, timeoutMs: 5000 }]),
      WEBHOOK_SECRET_CRM: SECRET,
      LOG_LEVEL: 'warn',
    };
  });
  afterAll(async () => {
    first?.proc.kill('SIGKILL');
    second?.proc.kill('SIGKILL');
    await receiver?.close();
    await llm?.close();
    redis?.disconnect();
    await deleteTopic(topic).catch(() => undefined);
    await deleteTopic(`${topic}.dlq`).catch(() => undefined);
  });

  it('does each task exactly once in effect', async () => {
    first = await spawnWorker(env);
    const producer = kafkaClient('cf-test-crash').producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        {
          key: sessionId,
          value: JSON.stringify({
            id: `summarize:${sessionId}:10`,
            type: 'summarize',
            sessionId,
            throughSeq: 10,
          }),
        },
        {
          key: sessionId,
          value: JSON.stringify({
            id: `webhook:${sessionId}:10:crm`,
            type: 'webhook',
            webhook: 'crm',
            sessionId,
            intent: 'handoff',
            turn: 10,
          }),
        },
      ],
    });
    await producer.disconnect();
    expect(await waitFor(() => first?.proc.exitCode !== null || first.proc.signalCode !== null, 60_000)).toBe(
      true,
    );
    expect(first.proc.signalCode).toBe('SIGKILL');
    expect(llm.summaryCalls).toBe(1);
    expect(await redis.hget(keys.session(sessionId).summary, 'through')).toBe('10');

    second = await spawnWorker(env);
    const redelivered = await waitFor(() => receiver.deliveries.length === 2, 60_000);
    if (!redelivered) console.log(first.output(), '\n----\n', second.output());
    expect(redelivered).toBe(true);
    expect(await waitFor(async () => (await workerTasks(second!.url, 'webhook', 'done')) === 1, 10_000)).toBe(
      true,
    );
    expect(new Set(receiver.deliveries.map((d) => d.key))).toEqual(new Set([`webhook:${sessionId}:10:crm`]));
    expect(receiver.deliveries.every((d) => d.signatureValid)).toBe(true);
    expect(receiver.effective()).toHaveLength(1);
    // the summary was applied once: no second LLM call, the same summary
    expect(llm.summaryCalls).toBe(1);
    expect(await redis.hget(keys.session(sessionId).summary, 'text')).toBe(
      'summary of 10 turns: the customer asked about orders.',
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect(receiver.deliveries).toHaveLength(2);
  });
});
