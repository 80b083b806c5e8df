/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-explicit-any --
   These tests inspect raw Kubernetes JSON (kubectl -o json); typing every field would add nothing. */
/**
 * Deleting a whole namespace that holds a Kafka fleet with deletionPolicy Delete, against the real
 * API server (its kube-controller-manager runs the namespace controller) and the real broker's
 * SASL_PLAINTEXT listener (SCRAM-SHA-512). The namespace controller deletes the credentials Secret
 * while the CR is still held by its topic finalizer: the namespace must still go within the bound,
 * and what was left behind must be said somewhere a terminating namespace cannot refuse.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import kafkajs from 'kafkajs';
import type { Admin } from 'kafkajs';
import { Registry } from 'prom-client';
import {
  applyCr,
  condition,
  createNamespace,
  deleteNamespace,
  getCr,
  installCrd,
  kubectl,
  kubectlJson,
  metricValue,
  requireKafkaBrokers,
  startInProcess,
  waitFor,
} from '../../integration/support.js';
import type { InProcessOperator } from '../../integration/support.js';
import { dataplaneComponents } from './components.js';
import { TOPIC_FINALIZER } from '../index.js';
import { CLAIM_LABEL } from '../kafka/claims.js';
import {
  deleteTopicsAndDisconnect,
  eventuallyListed,
  kafkaUsers,
  releaseAndDeleteNamespace,
} from './kafka-support.js';

const { Kafka, logLevel } = kafkajs;

const plainBrokers = requireKafkaBrokers();
const saslBrokers = (process.env.KAFKA_SASL_BROKERS ?? '').split(',').filter(Boolean);
/** A SCRAM user of this run (testenv/kafka.sh add-user): other tests may re-password the shared one. */
const scramUser = `h2del-${Date.now().toString(36)}`;
const scramPassword = randomBytes(18).toString('base64url');
/** The bound the operator runs with here (--topic-deletion-timeout-seconds). */
const BOUND_S = 20;
const run = Date.now().toString(36);
const topics = new Set<string>();

function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

async function createScramSecret(ns: string, name: string): Promise<void> {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: ns },
    data: { saslMechanism: b64('scram-sha-512'), username: b64(scramUser), password: b64(scramPassword) },
  };
  await kubectl(['apply', '-f', '-'], JSON.stringify(secret));
}

async function applySaslFleet(ns: string, name: string, topic: string): Promise<void> {
  topics.add(topic);
  await applyCr(ns, name, {
    scaling: { minReplicas: 1, maxReplicas: 2 },
    messaging: {
      kafka: {
        bootstrapServers: saslBrokers,
        secretRef: { name: 'kafka-creds' },
        deletionPolicy: 'Delete',
        topics: [{ name: topic, partitions: 1, replicationFactor: 1, purpose: 'tasks' }],
      },
    },
  });
}

async function namespaceGone(ns: string): Promise<boolean> {
  const out = await kubectl(['get', 'namespace', ns, '--ignore-not-found', '-o', 'name']);
  return out.trim() === '';
}

async function topicsReadyTrue(ns: string, name: string): Promise<boolean> {
  return condition(await getCr(ns, name), 'TopicsReady')?.status === 'True';
}

/** Events with this reason in a namespace, as `kubectl get events.events.k8s.io` returns them. */
async function eventsWithReason(ns: string, reason: string): Promise<any[]> {
  const list = await kubectlJson(['-n', ns, 'get', 'events.events.k8s.io']);
  return (list.items ?? []).filter((e: any) => e.reason === reason);
}

describe('namespace deletion of a SASL Kafka fleet (real API server, namespace controller, broker)', () => {
  let opNs: string;
  let operator: InProcessOperator | undefined;
  let admin: Admin;

  /** Watches `ns`; its Lease and the topic claims live in the operator's namespace, which stays. */
  const startOperator = async (ns: string, registry: Registry): Promise<InProcessOperator> => {
    const op = await startInProcess(ns, { 'lease-namespace': opNs }, [
      ...dataplaneComponents({
        topicOwnershipNamespace: opNs,
        topicDeletionTimeoutMs: BOUND_S * 1000,
        registry,
      }),
    ]);
    operator = op;
    return op;
  };

  beforeAll(async () => {
    expect(saslBrokers.length).toBeGreaterThan(0);
    await kafkaUsers('add-user', scramUser, scramPassword);
    await installCrd();
    opNs = await createNamespace('h2del-op');
    admin = new Kafka({ clientId: 'h2del-test', brokers: plainBrokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  }, 150_000);

  afterAll(async () => {
    await operator?.stop();
    if (opNs) await deleteNamespace(opNs);
    if (admin) await deleteTopicsAndDisconnect(admin, topics);
    await kafkaUsers('remove-user', scramUser).catch(() => undefined);
  }, 150_000);

  it('the Secret deleted first: the namespace still goes within the bound, and the topics left behind are reported', async () => {
    const ns = await createNamespace('h2del-gone');
    const topic = `h2del-gone-${run}`;
    try {
      await createScramSecret(ns, 'kafka-creds');
      const op = await startOperator(ns, new Registry());
      await applySaslFleet(ns, 'fleet', topic);
      await waitFor('TopicsReady=True through SASL', () => topicsReadyTrue(ns, 'fleet'), 90_000);
      expect(await eventuallyListed(admin, topic, true)).toBe(true);
      expect((await getCr(ns, 'fleet')).metadata.finalizers).toContain(TOPIC_FINALIZER);

      // The operator is down while the namespace controller empties the namespace: the Secret goes,
      // the CR stays (held by the finalizer). That is the order a namespace deletion may take.
      await op.stop();
      operator = undefined;
      await kubectl(['delete', 'namespace', ns, '--wait=false']);
      await waitFor(
        'the namespace controller to delete the credentials Secret and mark the CR deleted',
        async () => {
          const secret = await kubectl(['-n', ns, 'get', 'secret', 'kafka-creds', '--ignore-not-found']);
          return secret === '' && (await getCr(ns, 'fleet')).metadata.deletionTimestamp !== undefined;
        },
        60_000,
      );
      expect((await getCr(ns, 'fleet')).metadata.finalizers).toContain(TOPIC_FINALIZER);

      const registry = new Registry();
      await startOperator(ns, registry);
      const started = Date.now();
      await waitFor('the namespace to be gone', () => namespaceGone(ns), (BOUND_S + 60) * 1000);
      const tookS = (Date.now() - started) / 1000;
      // Measured from deletionTimestamp, so the bound includes the time the operator was down.
      expect(tookS).toBeLessThan(BOUND_S + 60);

      // The topic stays on the broker (nobody could delete it), and its claim stays in the
      // operator's namespace: both say what to clean up by hand.
      expect(await eventuallyListed(admin, topic, true)).toBe(true);
      const claims = await kubectlJson(['-n', opNs, 'get', 'configmaps', '-l', `${CLAIM_LABEL}=true`]);
      expect(claims.items.map((c: any) => c.data.topic)).toContain(topic);
      // The fleet's namespace refused the Event (it was terminating): the operator's namespace has it,
      // regarding the claim, and the metric counts the topic.
      const warned = await waitFor(
        'a TopicsLeftBehind Event in the operator namespace',
        async () => {
          const events = await eventsWithReason(opNs, 'TopicsLeftBehind');
          return events.find((e) => String(e.note).includes(topic));
        },
        15_000,
      );
      expect(warned.type).toBe('Warning');
      expect(warned.note).toContain(`${ns}/fleet`);
      expect(warned.note).toContain('kafka-creds');
      expect(
        await metricValue(registry, 'chatfleet_operator_topic_deletions_total', { result: 'left_behind' }),
      ).toBeGreaterThanOrEqual(1);
    } finally {
      await operator?.stop();
      operator = undefined;
      await releaseAndDeleteNamespace(ns).catch(() => undefined);
    }
  }, 300_000);

  it('the Secret still there: deleting the namespace deletes the topics through SASL', async () => {
    const ns = await createNamespace('h2del-ok');
    const topic = `h2del-ok-${run}`;
    try {
      await createScramSecret(ns, 'kafka-creds');
      const registry = new Registry();
      await startOperator(ns, registry);
      await applySaslFleet(ns, 'fleet', topic);
      await waitFor('TopicsReady=True through SASL', () => topicsReadyTrue(ns, 'fleet'), 90_000);
      expect(await eventuallyListed(admin, topic, true)).toBe(true);

      // The namespace controller deletes the Secret in the same pass as it marks the CR deleted: the
      // operator deletes the topics with the credentials it last read from it.
      await kubectl(['delete', 'namespace', ns, '--wait=false']);
      await waitFor('the namespace to be gone', () => namespaceGone(ns), 120_000);
      expect(await eventuallyListed(admin, topic, false)).toBe(true);
      const claims = await kubectlJson(['-n', opNs, 'get', 'configmaps', '-l', `${CLAIM_LABEL}=true`]);
      expect(claims.items.map((c: any) => c.data.topic)).not.toContain(topic);
      expect(
        await metricValue(registry, 'chatfleet_operator_topic_deletions_total', { result: 'deleted' }),
      ).toBe(1);
      // A pass after the finalizer went (the cache still showing it) must not call the topic "retained".
      expect(
        await metricValue(registry, 'chatfleet_operator_topic_deletions_total', { result: 'retained' }),
      ).toBe(0);
    } finally {
      await operator?.stop();
      operator = undefined;
      await releaseAndDeleteNamespace(ns).catch(() => undefined);
    }
  }, 300_000);
});
