/**
 * The Kafka admin pool and the admin-call deadlines against REAL components: the test environment's
 * KRaft broker (plaintext KAFKA_BROKERS and SASL KAFKA_SASL_BROKERS), topic claims on the REAL API
 * server, and loopback TCP listeners that accept and never answer (a hung broker).
 *
 * - 20 reconciles of 3 CRs on one broker set connect one admin client; other credentials get their own;
 * - a hung broker ends its reconcile within the deadline as KafkaUnavailable naming the broker set,
 *   its socket is closed, and CRs on the real broker keep reconciling meanwhile;
 * - aborting the signal ends a waiting call within ~100 ms;
 * Idle eviction and the LRU cap: kafka-admin-pool-lifecycle.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server, Socket } from 'node:net';
import kafkajs from 'kafkajs';
import { KubeClient } from '../../kube/client.js';
import { loadKubeConfig } from '../../kube/kubeconfig.js';
import { KubeTopicOwnership } from '../kafka/claims.js';
import type { KafkaConnection } from '../kafka/credentials.js';
import { KafkaCallAbortedError } from '../kafka/errors.js';
import { reconcileTopics } from '../kafka/reconcile.js';
import type { TopicsDeps } from '../kafka/reconcile.js';
import { testCbd } from '../fixtures.js';
import type { ChatbotDeployment } from '../types.js';
import {
  createNamespace,
  deleteNamespace,
  installCrd,
  requireKubeconfig,
} from '../../integration/support.js';
import { deleteTopicsAndDisconnect, kafkaUsers } from './kafka-support.js';
import {
  brokers,
  countingPool,
  eventually,
  hungBroker,
  plain,
  run,
  saslBrokers,
  scram,
  scramPassword,
  scramUser,
} from './kafka-admin-pool-support.js';

const { Kafka, logLevel } = kafkajs;

describe('Kafka admin pool and deadlines (real broker)', () => {
  let client: KubeClient;
  let claimsNs: string;
  let ownership: KubeTopicOwnership;
  const hung: { server: Server; sockets: Set<Socket> }[] = [];

  function cbd(name: string, bootstrapServers: string[], secretRef?: string): ChatbotDeployment {
    return testCbd({
      metadata: { name, namespace: run, uid: `uid-${name}`, generation: 1 },
      kafka: {
        bootstrapServers,
        topics: [{ name: `${run}.${name}.tasks`, partitions: 1, replicationFactor: 1, purpose: 'tasks' }],
        ...(secretRef ? { secretRef: { name: secretRef } } : {}),
      },
      maxReplicas: 1,
    });
  }

  beforeAll(async () => {
    await kafkaUsers('add-user', scramUser, scramPassword);
    requireKubeconfig();
    client = await KubeClient.create(loadKubeConfig(process.env).kc);
    await installCrd();
    claimsNs = await createNamespace('h3kafka-claims');
    ownership = new KubeTopicOwnership(client, claimsNs);
  }, 180_000);

  afterAll(async () => {
    for (const h of hung) {
      for (const s of h.sockets) s.destroy();
      await new Promise<void>((resolve) => h.server.close(() => resolve()));
    }
    if (claimsNs) await deleteNamespace(claimsNs);
    client?.close();
    // One broker behind both listeners: the plaintext one sees every topic of this run.
    const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await deleteTopicsAndDisconnect(
      admin,
      (await admin.listTopics()).filter((t) => t.startsWith(`${run}.`)),
    );
    await kafkaUsers('remove-user', scramUser).catch(() => undefined);
  }, 180_000);

  it('20 reconciles of 3 CRs on one broker set connect once; other credentials get their own client', async () => {
    const { pool, events, metric } = countingPool();
    const deps = (connection?: KafkaConnection): TopicsDeps => ({
      ownership,
      adminPool: pool,
      ...(connection ? { connection } : {}),
    });
    const fleets = ['share-a', 'share-b', 'share-c'].map((n) => cbd(n, brokers));
    for (let round = 0; round < 20; round++) {
      const results = await Promise.all(fleets.map((fleet) => reconcileTopics(fleet, deps())));
      for (const r of results) expect(r?.condition).toMatchObject({ status: 'True', reason: 'Ready' });
    }
    expect(events.connects).toBe(1);
    expect(await metric('chatfleet_operator_kafka_admin_connects_total', '{result="success"}')).toBe(1);
    expect(await metric('chatfleet_operator_kafka_admin_clients')).toBe(1);
    expect(pool.size).toBe(1);

    // The same broker in another order is the same broker set; the SCRAM user on the SASL listener is not.
    const viaScram = cbd('share-scram', saslBrokers, 'scram');
    for (let round = 0; round < 3; round++) {
      const r = await reconcileTopics(viaScram, deps(scram));
      expect(r?.condition).toMatchObject({ status: 'True', reason: 'Ready' });
    }
    expect(events.connects).toBe(2);
    // Other credentials on that same listener: a third client, not the SCRAM one.
    const viaPlain = await reconcileTopics(cbd('share-plain', saslBrokers, 'plain'), deps(plain));
    expect(viaPlain?.condition).toMatchObject({ status: 'True', reason: 'Ready' });
    expect(events.connects).toBe(3);
    expect(pool.size).toBe(3);
    expect(await metric('chatfleet_operator_kafka_admin_clients')).toBe(3);
    expect(await metric('chatfleet_operator_kafka_admin_connects_total', '{result="success"}')).toBe(3);

    // The password rotated (the broker's and the Secret's): a new key, so a fresh client that logs in
    // with the new password. The old client is idle and leaves on the idle sweep, never reused.
    const rotated = `${scramPassword}-rotated`;
    await kafkaUsers('add-user', scramUser, rotated);
    const afterRotation = await reconcileTopics(
      viaScram,
      deps({ sasl: { mechanism: 'scram-sha-512', username: scramUser, password: rotated } }),
    );
    expect(afterRotation?.condition).toMatchObject({ status: 'True', reason: 'Ready' });
    expect(events.connects).toBe(4);
    expect(pool.size).toBe(4);
    await kafkaUsers('add-user', scramUser, scramPassword); // back, for the tests below

    await pool.close();
    expect(await eventually(() => events.disconnects >= 4, 5_000)).toBe(true);
    expect(await metric('chatfleet_operator_kafka_admin_clients')).toBe(0);
    expect(pool.size).toBe(0);
  }, 120_000);

  it('a hung broker: the reconcile ends within the deadline, names the broker set, and others keep reconciling', async () => {
    const h = await hungBroker();
    hung.push(h);
    const { pool, metric } = countingPool();
    const bounds = { callTimeoutMs: 2_000, sessionTimeoutMs: 5_000 };
    const healthy = ['live-a', 'live-b'].map((n) => cbd(n, brokers));
    const started = Date.now();
    const stuck = reconcileTopics(cbd('hung', [`127.0.0.1:${h.port}`]), {
      ownership,
      adminPool: pool,
      managerOptions: bounds,
    }).then((r) => ({ r, tookMs: Date.now() - started }));
    let done = false;
    void stuck.then(() => (done = true));
    // Meanwhile (same pool, same event loop) the CRs on the real broker keep reconciling.
    let healthyPasses = 0;
    while (!done) {
      const rs = await Promise.all(
        healthy.map((fleet) => reconcileTopics(fleet, { ownership, adminPool: pool })),
      );
      for (const r of rs) expect(r?.condition.reason).toBe('Ready');
      healthyPasses += rs.length;
    }
    const { r, tookMs } = await stuck;
    expect(r?.condition).toMatchObject({ type: 'TopicsReady', status: 'False', reason: 'KafkaUnavailable' });
    expect(r?.condition.message).toContain(
      `Kafka brokers 127.0.0.1:${h.port} did not answer connect within 2000 ms`,
    );
    expect(tookMs).toBeGreaterThanOrEqual(1_900);
    expect(tookMs).toBeLessThan(3_000);
    expect(healthyPasses).toBeGreaterThanOrEqual(4);
    process.stdout.write(
      `h3kafka: hung broker reconcile took ${tookMs} ms; ${healthyPasses} healthy reconciles meanwhile\n`,
    );
    // The hung client left the pool and was disconnected: its socket to the listener is closed.
    expect(pool.size).toBe(1);
    expect(await metric('chatfleet_operator_kafka_admin_evictions_total', '{reason="timeout"}')).toBe(1);
    expect(await eventually(() => h.sockets.size === 0, 1_000)).toBe(true);
    await pool.close();
  });

  it('aborting the signal ends a waiting admin call within ~100 ms and records no condition', async () => {
    const h = await hungBroker();
    hung.push(h);
    const { pool, metric } = countingPool();
    const abort = new AbortController();
    const pass = reconcileTopics(cbd('aborted', [`127.0.0.1:${h.port}`]), {
      ownership,
      adminPool: pool,
      signal: abort.signal,
    }).then(
      () => ({ err: undefined as unknown, at: Date.now() }),
      (err: unknown) => ({ err, at: Date.now() }),
    );
    expect(await eventually(() => h.sockets.size > 0, 5_000)).toBe(true); // connecting, waiting on the broker
    await new Promise((r) => setTimeout(r, 300));
    const abortedAt = Date.now();
    abort.abort(new Error('leadership lost'));
    const { err, at } = await pass;
    expect(err).toBeInstanceOf(KafkaCallAbortedError);
    expect((err as Error).message).toBe(
      `Kafka connect to brokers 127.0.0.1:${h.port} cancelled: leadership lost`,
    );
    expect(at - abortedAt).toBeLessThan(150);
    process.stdout.write(`h3kafka: abort ended the call after ${at - abortedAt} ms\n`);
    expect(pool.size).toBe(0);
    expect(await metric('chatfleet_operator_kafka_admin_evictions_total', '{reason="aborted"}')).toBe(1);
    expect(await eventually(() => h.sockets.size === 0, 1_000)).toBe(true);
    // An aborted signal opens nothing at all.
    const again = await reconcileTopics(cbd('aborted', brokers), {
      ownership,
      adminPool: pool,
      signal: abort.signal,
    }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(KafkaCallAbortedError);
    expect(pool.size).toBe(0);
  });
});
