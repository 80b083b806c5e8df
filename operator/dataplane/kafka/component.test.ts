import { describe, expect, it } from '@jest/globals';
import { contextFor, noRequests } from '../component-support.js';
import { testCbd } from '../fixtures.js';
import { KafkaTopicsComponent } from './component.js';
import { KafkaAdminPool } from './admin-pool.js';
import { TOPIC_FINALIZER } from './reconcile.js';

function component() {
  const kube = noRequests();
  // A pool that never connects: these paths must not reach a broker.
  const pool = new KafkaAdminPool({
    createAdmin: () => {
      throw new Error('unexpected broker connection');
    },
    sweepEveryMs: 0,
  });
  return {
    kube,
    kafka: new KafkaTopicsComponent(kube, { topicOwnershipNamespace: 'ops', kafkaAdminPool: pool }),
  };
}

const kafkaSpec = { bootstrapServers: ['b:9092'], deletionPolicy: 'Delete' as const };

describe('KafkaTopicsComponent', () => {
  it('no Kafka block: contributes nothing, needs no finalizer, issues no request', async () => {
    const { kube, kafka } = component();
    const c = await kafka.reconcile(contextFor(testCbd()));
    expect(c).toEqual({ env: [], conditions: [], status: {} });
    expect(kube.calls).toEqual([]);
  });

  it('deletionPolicy Delete, finalizer not stored yet: asks for it, creates no topic, looks again in 1 s', async () => {
    const { kube, kafka } = component();
    const c = await kafka.reconcile(contextFor(testCbd({ kafka: kafkaSpec })));
    expect(c.finalizer).toBe(TOPIC_FINALIZER);
    expect(c.conditions).toEqual([]);
    expect(c.requeueAfterMs).toBe(1000);
    expect(c.env?.map((e) => e.name)).toEqual(['KAFKA_BROKERS', 'KAFKA_EVENTS_TOPIC', 'KAFKA_TASKS_TOPIC']);
    expect(kube.calls).toEqual([]);
  });

  it('while the finalizer is stored, the last TopicsReady and status.topics are repeated unchanged', async () => {
    const previous = {
      type: 'TopicsReady',
      status: 'True' as const,
      reason: 'Ready',
      message: 'ok',
      lastTransitionTime: '2026-01-01T00:00:00Z',
    };
    const topics = [{ name: 'bots.support.events', partitions: 10, ready: true, message: '' }];
    const cbd = testCbd({ kafka: kafkaSpec, status: { conditions: [previous], topics } });
    const { kube, kafka } = component();
    const c = await kafka.reconcile(contextFor(cbd));
    expect(c.conditions).toEqual([{ type: 'TopicsReady', status: 'True', reason: 'Ready', message: 'ok' }]);
    expect(c.status).toEqual({ topics });
    expect(c.finalizer).toBe(TOPIC_FINALIZER);
    expect(kube.calls).toEqual([]);
  });

  it('keeps state per fleet until forget', async () => {
    const { kube, kafka } = component();
    await kafka.reconcile(contextFor(testCbd()));
    expect(kafka.fleetsTracked).toBe(1);
    kafka.forget('bots/support');
    expect(kafka.fleetsTracked).toBe(0);
    expect(kube.calls).toEqual([]);
    await kafka.close();
  });
});
