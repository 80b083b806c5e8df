import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../config.js';
import { startWorker, type RunningWorker } from '../worker/worker.js';
import { requireEnv, runId } from './support/env.js';
import { createTopic, deleteTopic } from './support/kafka.js';
import { Conversation, metricValue, startRuntime, type Runtime } from './support/runtime.js';
import { startReceiver, waitFor, type Receiver } from './support/worker.js';

const SECRET = 'action-secret';

/** A bundle intent with "action": {"webhook": ...}: the chat turn enqueues, a worker delivers. */
describe('an intent action from turn to webhook', () => {
  const topic = runId('cf-action');
  const dir = mkdtempSync(join(tmpdir(), 'cf-action-'));
  let rt: Runtime;
  let worker: RunningWorker;
  let receiver: Receiver;

  beforeAll(async () => {
    await createTopic(topic, 2);
    await createTopic(`${topic}.dlq`, 1);
    const bundle = JSON.parse(
      readFileSync(new URL('../model/bundle.example.json', import.meta.url), 'utf8'),
    ) as {
      intents: { name: string; action?: unknown }[];
    };
    const order = bundle.intents.find((i) => i.name === 'order_status');
    if (!order) throw new Error('the example bundle has no order_status intent');
    order.action = { webhook: 'crm' };
    writeFileSync(join(dir, 'bundle.json'), JSON.stringify(bundle));
    receiver = await startReceiver(SECRET);
    const env = {
      REDIS_URL: requireEnv('REDIS_URL'),
      FLEET_ID: `test/${runId('action')}`,
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      KAFKA_TASKS_TOPIC: topic,
      KAFKA_TASKS_GROUP: `${topic}-group`,
      MODEL_BUNDLE: join(dir, 'bundle.json'),
    };
    rt = await startRuntime(env);
    const workerEnv = {
      ...env,
      WORKER_WEBHOOKS: JSON.stringify([{ name: 'crm', url: receiver.url }]),
      WEBHOOK_SECRET_CRM: SECRET,
      WORKER_PORT: '0',
      HOST: '127.0.0.1',
    };
    worker = await startWorker(
      loadConfig(workerEnv),
      pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    );
  });
  afterAll(async () => {
    await worker?.shutdown('test');
    await rt?.close();
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
    await deleteTopic(topic).catch(() => undefined);
    await deleteTopic(`${topic}.dlq`).catch(() => undefined);
  });

  it('delivers one signed webhook for the turn that hit the intent, none for others', async () => {
    const c = new Conversation(rt.url);
    expect((await c.say('hello')).body.intent).toBe('greet');
    const hit = await c.say('where is my order');
    expect(hit.body).toMatchObject({ intent: 'order_status', source: 'intent', turn: 2 });
    expect(await waitFor(() => receiver.deliveries.length === 1, 60_000)).toBe(true);
    const [d] = receiver.deliveries;
    expect(d?.signatureValid).toBe(true);
    expect(d?.key).toBe(`webhook:${c.id}:2:crm`);
    expect(JSON.parse(d!.body)).toMatchObject({
      sessionId: c.id,
      intent: 'order_status',
      turn: 2,
      webhook: 'crm',
    });
    expect(d!.body).not.toContain('where is my order'); // the turn's facts, never its text
    expect(
      await metricValue(rt.registry, 'chatfleet_tasks_enqueued_total', { type: 'webhook', result: 'sent' }),
    ).toBe(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.deliveries).toHaveLength(1);
  });
});
