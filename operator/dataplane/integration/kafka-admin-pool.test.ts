/**
 * The Kafka admin pool and the admin-call deadlines against REAL components: the test environment's
 * KRaft broker (plaintext KAFKA_BROKERS and SASL KAFKA_SASL_BROKERS), topic claims on the REAL API
 * server, and loopback TCP listeners that accept and never answer (a hung broker).
 *
 * - 20 reconciles of 3 CRs on one broker set connect one admin client; other credentials get their own;
 * - a hung broker ends its reconcile within the deadline as KafkaUnavailable naming the broker set,
 *   its socket is closed, and CRs on the real broker keep reconciling meanwhile;
 * - aborting the signal ends a waiting call within ~100 ms;
 * - idle eviction and the LRU cap with an injected clock; an evicted client in use keeps working
 *   and is disconnected at its release.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import kafkajs from 'kafkajs';
import { Registry } from 'prom-client';
import { KubeClient } from '../../kube/client.js';
import { loadKubeConfig } from '../../kube/kubeconfig.js';
import { createKafkaAdminPoolMetrics } from '../../metrics.js';
import { KubeTopicOwnership } from '../kafka/claims.js';
import { KafkaAdminPool } from '../kafka/admin-pool.js';
import type { AdminTarget, PooledClient } from '../kafka/admin-pool.js';
import type { KafkaConnection } from '../kafka/credentials.js';
import { KafkaCallAbortedError } from '../kafka/errors.js';
import { kafkaAdminFactory } from '../kafka/admin-client.js';
import { reconcileTopics } from '../kafka/reconcile.js';
import type { TopicsDeps } from '../kafka/reconcile.js';
import { testCbd } from '../fixtures.js';
import type { ChatbotDeployment } from '../types.js';
import {
  createNamespace,
  deleteNamespace,
  installCrd,
  requireKafkaBrokers,
  requireKubeconfig,
} from '../../integration/support.js';
import { deleteTopicsAndDisconnect, kafkaUsers } from './kafka-support.js';

const { Kafka, logLevel } = kafkajs;

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: source .testenv/env`);
  return value;
}

const brokers = requireKafkaBrokers();
const saslBrokers = requireEnv('KAFKA_SASL_BROKERS').split(',');
const run = `h3kafka-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
// A SCRAM user of this run (kafka.sh add-user): other tests may re-password the shared one meanwhile.
const scramUser = run;
const scramPassword = `pw-${Math.random().toString(36).slice(2)}`;
const scram: KafkaConnection = {
  sasl: { mechanism: 'scram-sha-512', username: scramUser, password: scramPassword },
};
const plain: KafkaConnection = {
  sasl: {
    mechanism: 'plain',
    username: requireEnv('KAFKA_SASL_PLAIN_USER'),
    password: requireEnv('KAFKA_SASL_PLAIN_PASSWORD'),
  },
};

/** A real pool whose clients report their kafkajs CONNECT/DISCONNECT instrumentation events. */
function countingPool(opts: { now?: () => number; idleMs?: number; maxEntries?: number } = {}) {
  const registry = new Registry();
  const events = { connects: 0, disconnects: 0 };
  const build = kafkaAdminFactory({ clientId: run });
  const pool = new KafkaAdminPool({
    ...opts,
    sweepEveryMs: 0,
    metrics: createKafkaAdminPoolMetrics(registry),
    createAdmin: (target: AdminTarget): PooledClient => {
      const client = build(target);
      const { admin } = client;
      admin.on(admin.events.CONNECT, () => (events.connects += 1));
      admin.on(admin.events.DISCONNECT, () => (events.disconnects += 1));
      return client;
    },
  });
  const metric = async (name: string, labels = ''): Promise<number> => {
    const text = await registry.metrics();
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
    return line ? Number(line.split(' ')[1]) : 0;
  };
  return { pool, events, metric };
}

/** A loopback listener that accepts TCP, reads everything and never answers. */
async function hungBroker(): Promise<{ port: number; sockets: Set<Socket>; server: Server }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, sockets, server };
}

async function eventually(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

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
    const crs = ['share-a', 'share-b', 'share-c'].map((n) => cbd(n, brokers));
    for (let round = 0; round < 20; round++) {
      const results = await Promise.all(crs.map((cr) => reconcileTopics(cr, deps())));
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
      const rs = await Promise.all(healthy.map((cr) => reconcileTopics(cr, { ownership, adminPool: pool })));
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

  it('idle clients are closed after the idle period (injected clock), and the next use reconnects', async () => {
    let now = 0;
    const { pool, events } = countingPool({ now: () => now, idleMs: 300_000 });
    const lease = pool.acquire({ brokers });
    await lease.connected;
    await lease.admin.listTopics();
    lease.release();
    now += 299_000;
    pool.sweep();
    expect(pool.size).toBe(1);
    now += 1_000;
    pool.sweep();
    expect(pool.size).toBe(0);
    expect(await eventually(() => events.disconnects === 1, 5_000)).toBe(true);
    const next = pool.acquire({ brokers });
    await next.connected;
    expect(events.connects).toBe(2);
    next.release();
    await pool.close();
  });

  it('the LRU cap: an idle client goes first; one evicted while in use keeps working until its release', async () => {
    let now = 0;
    const { pool, events, metric } = countingPool({ now: () => now, maxEntries: 2 });
    const [plainBroker, viaScram, viaPlain]: AdminTarget[] = [
      { brokers },
      { brokers: saslBrokers, connection: scram },
      { brokers: saslBrokers, connection: plain },
    ];
    const held = pool.acquire(plainBroker!); // the oldest, in use throughout
    await held.connected;
    now += 1;
    const second = pool.acquire(viaScram!);
    await second.connected;
    now += 1;
    // A third key over a cap of 2 with both in use: the least recently used (held) leaves the pool...
    const third = pool.acquire(viaPlain!);
    await third.connected;
    expect(pool.size).toBe(2);
    expect(await metric('chatfleet_operator_kafka_admin_evictions_total', '{reason="lru"}')).toBe(1);
    // ...but is not disconnected under its user.
    expect(await held.admin.listTopics()).toEqual(expect.any(Array));
    expect(events.disconnects).toBe(0);
    expect(await metric('chatfleet_operator_kafka_admin_clients')).toBe(3);
    held.release();
    expect(await eventually(() => events.disconnects === 1, 5_000)).toBe(true);
    expect(await metric('chatfleet_operator_kafka_admin_clients')).toBe(2);

    // Now second is idle and third in use (and older): a new key evicts the idle one, not the older one.
    now += 1;
    second.release();
    now += 1;
    const again = pool.acquire(plainBroker!);
    await again.connected;
    expect(await eventually(() => events.disconnects === 2, 5_000)).toBe(true);
    expect(await third.admin.listTopics()).toEqual(expect.any(Array));
    expect(pool.size).toBe(2);
    expect(events.connects).toBe(4);
    third.release();
    again.release();
    await pool.close();
    expect(await metric('chatfleet_operator_kafka_admin_clients')).toBe(0);
  });
});
