// spec.workers and spec.sessions.summarizeAfterTurns against the real kube-apiserver of the test
// environment: the server's defaults equal withDefaults(), the derived enabled default, every
// validation with a message naming the field, and the reserved -worker name suffix.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { withDefaults, workersEnabled } from '../index.js';
import { invalidWorkers } from './invalid-worker-specs.js';
import { CbdApi, cbdInput, minimalSpec } from './support.js';

const api = new CbdApi('api-workers');
beforeAll(() => api.setup());
afterAll(() => api.teardown());

const kafka = { kafka: { bootstrapServers: ['k:9092'] } };

describe('spec.workers defaults', () => {
  it('the API server fills them in as withDefaults() does; enabled stays unset (derived from Kafka)', async () => {
    const created = await api.create(cbdInput('workers-defaults', { ...minimalSpec(), messaging: kafka }));
    expect(created.spec.workers).toEqual({
      minReplicas: 1,
      maxReplicas: 10,
      targetLagPerReplica: 10,
      activationLag: 0,
      cooldownSeconds: 300,
      stabilizationSeconds: 60,
      concurrency: 4,
      resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
    });
    expect(created.spec.sessions.summarizeAfterTurns).toBeUndefined();
    expect(created.spec).toEqual(
      withDefaults(cbdInput('workers-defaults', { ...minimalSpec(), messaging: kafka })).spec,
    );
    expect(workersEnabled(created.spec)).toBe(true);
  });

  it('without Kafka the workers are off; enabled false with Kafka is accepted and off', async () => {
    const plain = await api.create(cbdInput('workers-nokafka', minimalSpec()));
    expect(workersEnabled(plain.spec)).toBe(false);
    const off = await api.create(
      cbdInput('workers-off', { ...minimalSpec(), messaging: kafka, workers: { enabled: false } }),
    );
    expect(workersEnabled(off.spec)).toBe(false);
  });

  it('keeps explicit values and defaults inside webhook items', async () => {
    const spec = {
      ...minimalSpec(),
      messaging: kafka,
      sessions: { maxTurns: 40, summarizeAfterTurns: 30 },
      workers: {
        minReplicas: 0,
        maxReplicas: 12,
        priorityClassName: 'chatfleet-workers',
        webhooks: [
          { name: 'crm-handoff', url: 'http://crm.local:8080/h?x=1', secretRef: { name: 's', key: 'k' } },
        ],
      },
    };
    const created = await api.create(cbdInput('workers-explicit', spec));
    expect(created.spec.workers.webhooks).toEqual([
      {
        name: 'crm-handoff',
        url: 'http://crm.local:8080/h?x=1',
        secretRef: { name: 's', key: 'k' },
        maxAttempts: 5,
        timeoutSeconds: 10,
      },
    ]);
    expect(created.spec.workers).toMatchObject({
      minReplicas: 0,
      maxReplicas: 12,
      priorityClassName: 'chatfleet-workers',
    });
    expect(created.spec.sessions.summarizeAfterTurns).toBe(30);
    expect(created.spec).toEqual(withDefaults(cbdInput('workers-explicit', spec)).spec);
  });
});

describe('the API server rejects invalid worker specs with a message naming the field', () => {
  it.each(invalidWorkers)('%s', async (_case, change, expected) => {
    const message = await api.rejection(change(minimalSpec()));
    expect(message).toContain(expected);
  });

  it('rejects a fleet named <x>-worker (it would take another fleet worker Deployment name)', async () => {
    expect(await api.rejection(minimalSpec(), 'support-worker')).toContain(
      'must not end in -canary, -stable, -worker',
    );
  });

  it('puts the CEL errors on the field itself (fieldPath)', async () => {
    const message = await api.rejection({ ...minimalSpec(), workers: { enabled: true } });
    expect(message).toMatch(/spec\.workers\.enabled: Invalid value/);
  });
});
