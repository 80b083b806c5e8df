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

describe('Kafka admin pool in the running operator', () => {
  let ns = '';
  let operator: InProcessOperator | undefined;
  const registry = new Registry();
  const pool = new KafkaAdminPool({
    createAdmin: kafkaAdminFactory({ clientId: 'h3kafka-operator' }),
    metrics: createKafkaAdminPoolMetrics(registry),
  });

  beforeAll(async () => {
    await installCrd();
    ns = await createNamespace('h3kafka-op');
    operator = await startInProcess(ns, {}, [
      ...dataplaneComponents({ topicOwnershipNamespace: ns, kafkaAdminPool: pool }),
    ]);
  }, 180_000);

  afterAll(async () => {
    await operator?.stop();
    if (ns) await releaseAndDeleteNamespace(ns);
    const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await deleteTopicsAndDisconnect(
      admin,
      (await admin.listTopics()).filter((t) => t.startsWith(`${ns}.`)),
    );
  }, 180_000);

  it('three CRs on one broker set: one admin client; stopping the operator disconnects it', async () => {
    const names = ['pool-a', 'pool-b', 'pool-c'];
    for (const name of names) {
      await applyCr(ns, name, {
        scaling: { minReplicas: 1, maxReplicas: 1 },
        messaging: { kafka: { bootstrapServers: brokers, deletionPolicy: 'Retain' } },
      });
    }
    for (const name of names) {
      await waitFor(
        `${name} TopicsReady=True`,
        async () => {
          const topicsReady = condition(await getCr(ns, name), 'TopicsReady') as
            { status?: string } | undefined;
          return topicsReady?.status === 'True';
        },
        90_000,
      );
    }
    expect(pool.size).toBe(1);
    expect(
      await metricValue(registry, 'chatfleet_operator_kafka_admin_connects_total', { result: 'success' }),
    ).toBe(1);
    expect(await metricValue(registry, 'chatfleet_operator_kafka_admin_clients')).toBe(1);

    await operator?.stop();
    operator = undefined;
    expect(pool.size).toBe(0);
    expect(await metricValue(registry, 'chatfleet_operator_kafka_admin_clients')).toBe(0);
    expect(
      await metricValue(registry, 'chatfleet_operator_kafka_admin_evictions_total', { reason: 'close' }),
    ).toBe(1);
  });
});

describe('Kafka admin pool when leadership is lost', () => {
  let ns = '';
  let operator: InProcessOperator | undefined;
  const registry = new Registry();
  const pool = new KafkaAdminPool({
    createAdmin: kafkaAdminFactory({ clientId: 'h3kafka-lost' }),
    metrics: createKafkaAdminPoolMetrics(registry),
  });

  beforeAll(async () => {
    await installCrd();
    ns = await createNamespace('h3kafka-lost');
    const lease = {
      'lease-duration-seconds': '4',
      'renew-deadline-seconds': '3',
      'retry-period-seconds': '1',
    };
    operator = await startInProcess(ns, { ...lease, identity: 'h3kafka-op' }, [
      ...dataplaneComponents({ topicOwnershipNamespace: ns, kafkaAdminPool: pool }),
    ]);
  }, 180_000);

  afterAll(async () => {
    await operator?.stop();
    if (ns) await releaseAndDeleteNamespace(ns);
    const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await deleteTopicsAndDisconnect(
      admin,
      (await admin.listTopics()).filter((t) => t.startsWith(`${ns}.`)),
    );
  }, 180_000);

  it('another holder takes the Lease: the operator ends its term and disconnects every admin client', async () => {
    await applyCr(ns, 'lost-a', {
      scaling: { minReplicas: 1, maxReplicas: 1 },
      messaging: { kafka: { bootstrapServers: brokers, deletionPolicy: 'Retain' } },
    });
    await waitFor(
      'lost-a TopicsReady=True',
      async () => {
        const topicsReady = condition(await getCr(ns, 'lost-a'), 'TopicsReady') as
          { status?: string } | undefined;
        return topicsReady?.status === 'True';
      },
      90_000,
    );
    expect(pool.size).toBe(1);
    expect(((await leaseHolder(ns)) as { holderIdentity?: string }).holderIdentity).toBe('h3kafka-op');
    const now = new Date().toISOString().replace('Z', '000Z');
    const steal = {
      spec: { holderIdentity: 'h3kafka-thief', leaseDurationSeconds: 60, renewTime: now, acquireTime: now },
    };
    await kubectl([
      '-n',
      ns,
      'patch',
      'lease',
      'chatfleet-operator',
      '--type=merge',
      '-p',
      JSON.stringify(steal),
    ]);
    expect(await operator?.op.done).toBe('lost-leadership');
    expect(pool.size).toBe(0);
    expect(await metricValue(registry, 'chatfleet_operator_kafka_admin_clients')).toBe(0);
    expect(
      await metricValue(registry, 'chatfleet_operator_kafka_admin_evictions_total', { reason: 'close' }),
    ).toBe(1);
  });
});
