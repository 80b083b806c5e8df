/**
 * The Kafka admin pool inside the REAL operator (in process, real API server, real broker): three
 * ChatbotDeployments on one broker set share one admin client; stopping the operator closes it, and
 * so does losing the Lease to another holder.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import kafkajs from 'kafkajs';
import { Registry } from 'prom-client';
import { createKafkaAdminPoolMetrics } from '../../metrics.js';
import { dataplaneComponents } from './components.js';
import { KafkaAdminPool } from '../kafka/admin-pool.js';
import { kafkaAdminFactory } from '../kafka/admin-client.js';
import {
  applyCr,
  condition,
  createNamespace,
  getCr,
  installCrd,
  kubectl,
  leaseHolder,
  metricValue,
  requireKafkaBrokers,
  startInProcess,
  waitFor,
} from '../../integration/support.js';
import type { InProcessOperator } from '../../integration/support.js';
import { deleteTopicsAndDisconnect, releaseAndDeleteNamespace } from './kafka-support.js';

const { Kafka, logLevel } = kafkajs;
const brokers = requireKafkaBrokers();

/** An in-process operator running the data plane with its own admin pool, in its own namespace. */
interface PoolOperator {
  ns: string;
  operator: InProcessOperator | undefined;
  registry: Registry;
  pool: KafkaAdminPool;
}

function operatorWithPool(prefix: string, overrides: Record<string, string> = {}): PoolOperator {
  const registry = new Registry();
  const pool = new KafkaAdminPool({
    createAdmin: kafkaAdminFactory({ clientId: prefix }),
    metrics: createKafkaAdminPoolMetrics(registry),
  });
  const t: PoolOperator = { ns: '', operator: undefined, registry, pool };
  beforeAll(async () => {
    await installCrd();
    t.ns = await createNamespace(prefix);
    t.operator = await startInProcess(t.ns, overrides, [
      ...dataplaneComponents({ topicOwnershipNamespace: t.ns, kafkaAdminPool: pool }),
    ]);
  }, 180_000);
  afterAll(async () => {
    await t.operator?.stop();
    if (t.ns) await releaseAndDeleteNamespace(t.ns);
    const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await deleteTopicsAndDisconnect(
      admin,
      (await admin.listTopics()).filter((topic) => topic.startsWith(`${t.ns}.`)),
    );
  }, 180_000);
  return t;
}

async function waitTopicsReady(ns: string, name: string): Promise<void> {
  await waitFor(
    `${name} TopicsReady=True`,
    async () => {
      const topicsReady = condition(await getCr(ns, name), 'TopicsReady') as { status?: string } | undefined;
      return topicsReady?.status === 'True';
    },
    90_000,
  );
}

describe('Kafka admin pool in the running operator', () => {
  const t = operatorWithPool('h3kafka-op');

  it('three CRs on one broker set: one admin client; stopping the operator disconnects it', async () => {
    const names = ['pool-a', 'pool-b', 'pool-c'];
    for (const name of names) {
      await applyCr(t.ns, name, {
        scaling: { minReplicas: 1, maxReplicas: 1 },
        workers: { enabled: false }, // this test is about the topics/events, not the worker pool
        messaging: { kafka: { bootstrapServers: brokers, deletionPolicy: 'Retain' } },
      });
    }
    for (const name of names) {
      await waitTopicsReady(t.ns, name);
    }
    expect(t.pool.size).toBe(1);
    expect(
      await metricValue(t.registry, 'chatfleet_operator_kafka_admin_connects_total', { result: 'success' }),
    ).toBe(1);
    expect(await metricValue(t.registry, 'chatfleet_operator_kafka_admin_clients')).toBe(1);

    await t.operator?.stop();
    t.operator = undefined;
    expect(t.pool.size).toBe(0);
    expect(await metricValue(t.registry, 'chatfleet_operator_kafka_admin_clients')).toBe(0);
    expect(
      await metricValue(t.registry, 'chatfleet_operator_kafka_admin_evictions_total', { reason: 'close' }),
    ).toBe(1);
  });
});

describe('Kafka admin pool when leadership is lost', () => {
  const lease = { 'lease-duration-seconds': '4', 'renew-deadline-seconds': '3', 'retry-period-seconds': '1' };
  const t = operatorWithPool('h3kafka-lost', { ...lease, identity: 'h3kafka-op' });

  it('another holder takes the Lease: the operator ends its term and disconnects every admin client', async () => {
    await applyCr(t.ns, 'lost-a', {
      scaling: { minReplicas: 1, maxReplicas: 1 },
      workers: { enabled: false }, // this test is about the topics/events, not the worker pool
      messaging: { kafka: { bootstrapServers: brokers, deletionPolicy: 'Retain' } },
    });
    await waitTopicsReady(t.ns, 'lost-a');
    expect(t.pool.size).toBe(1);
    expect(((await leaseHolder(t.ns)) as { holderIdentity?: string }).holderIdentity).toBe('h3kafka-op');
    const now = new Date().toISOString().replace('Z', '000Z');
    const steal = {
      spec: { holderIdentity: 'h3kafka-thief', leaseDurationSeconds: 60, renewTime: now, acquireTime: now },
    };
    await kubectl([
      '-n',
      t.ns,
      'patch',
      'lease',
      'chatfleet-operator',
      '--type=merge',
      '-p',
      JSON.stringify(steal),
    ]);
    expect(await t.operator?.op.done).toBe('lost-leadership');
    expect(t.pool.size).toBe(0);
    expect(await metricValue(t.registry, 'chatfleet_operator_kafka_admin_clients')).toBe(0);
    expect(
      await metricValue(t.registry, 'chatfleet_operator_kafka_admin_evictions_total', { reason: 'close' }),
    ).toBe(1);
  });
});
