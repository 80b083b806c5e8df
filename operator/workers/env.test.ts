import { describe, expect, it } from '@jest/globals';
import { workerEnv } from './env.js';
import { workerCbd } from './fixtures.js';

const byName = (env: ReturnType<typeof workerEnv>) => new Map(env.map((e) => [e.name, e]));

describe('workerEnv', () => {
  it('worker settings, the group the lag reader reads, the same Redis/Kafka wiring as the bots, the DLQ', () => {
    const env = byName(workerEnv(workerCbd({ workers: { concurrency: 8 } })));
    expect(env.get('WORKER_PORT')?.value).toBe('8081');
    expect(env.get('WORKER_CONCURRENCY')?.value).toBe('8');
    expect(env.get('KAFKA_TASKS_GROUP')?.value).toBe('team-a.support.workers');
    expect(env.get('KAFKA_TASKS_TOPIC')?.value).toBe('team-a.support.tasks');
    expect(env.get('KAFKA_DLQ_TOPIC')?.value).toBe('team-a.support.tasks.dlq');
    expect(env.get('KAFKA_BROKERS')?.value).toBe('kafka-0:9092');
    expect(env.get('REDIS_URL')?.value).toBe('redis://support-redis.team-a.svc:6379');
    expect(env.get('REDIS_PASSWORD')?.valueFrom?.secretKeyRef?.name).toBeDefined();
    expect(env.has('WORKER_WEBHOOKS')).toBe(false);
  });

  it('webhooks: the JSON without keys, and each key by secretKeyRef (never the value)', () => {
    const env = byName(
      workerEnv(
        workerCbd({
          workers: {
            webhooks: [
              { name: 'crm-handoff', url: 'https://crm.example/h', secretRef: { name: 's', key: 'crm' } },
              {
                name: 'notify',
                url: 'http://n.local/x',
                secretRef: { name: 's2', key: 'k' },
                maxAttempts: 3,
                timeoutSeconds: 2,
              },
            ],
          },
        }),
      ),
    );
    expect(JSON.parse(env.get('WORKER_WEBHOOKS')?.value ?? '')).toEqual([
      { name: 'crm-handoff', url: 'https://crm.example/h', maxAttempts: 5, timeoutMs: 10_000 },
      { name: 'notify', url: 'http://n.local/x', maxAttempts: 3, timeoutMs: 2000 },
    ]);
    expect(env.get('WEBHOOK_SECRET_CRM_HANDOFF')).toEqual({
      name: 'WEBHOOK_SECRET_CRM_HANDOFF',
      valueFrom: { secretKeyRef: { name: 's', key: 'crm' } },
    });
    expect(env.get('WEBHOOK_SECRET_NOTIFY')?.valueFrom?.secretKeyRef).toEqual({ name: 's2', key: 'k' });
  });

  it('the LLM key for summaries by secretKeyRef; spec.runtime.env wins on a clash', () => {
    const env = byName(
      workerEnv(
        workerCbd({
          runtime: {
            image: 'i',
            llm: { endpoint: 'http://llm.local', apiKeySecretRef: { name: 'llm', key: 'key' } },
            env: [{ name: 'WORKER_CONCURRENCY', value: '1' }],
          },
        }),
      ),
    );
    expect(env.get('LLM_API_KEY')?.valueFrom?.secretKeyRef).toEqual({ name: 'llm', key: 'key' });
    expect(env.get('WORKER_CONCURRENCY')?.value).toBe('1');
  });

  it('explicit topics without a DLQ: no KAFKA_DLQ_TOPIC', () => {
    const cbd = workerCbd({
      messaging: { kafka: { bootstrapServers: ['k:9092'], topics: [{ name: 'jobs', purpose: 'tasks' }] } },
    });
    const env = byName(workerEnv(cbd));
    expect(env.get('KAFKA_TASKS_TOPIC')?.value).toBe('jobs');
    expect(env.has('KAFKA_DLQ_TOPIC')).toBe(false);
  });
});

describe('the webhook key variable (the runtime webhookSecretVariable)', () => {
  it.each([
    ['crm', 'WEBHOOK_SECRET_CRM'],
    ['crm-handoff', 'WEBHOOK_SECRET_CRM_HANDOFF'],
    ['a-b-c1', 'WEBHOOK_SECRET_A_B_C1'],
  ])('%s -> %s', (name, want) => {
    const webhook = { name, url: 'https://h.example/x', secretRef: { name: 's', key: 'k' } };
    const env = byName(workerEnv(workerCbd({ workers: { webhooks: [webhook] } })));
    expect(env.get(want)?.valueFrom?.secretKeyRef).toEqual({ name: 's', key: 'k' });
  });
});
