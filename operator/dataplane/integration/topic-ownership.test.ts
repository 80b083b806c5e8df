/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-explicit-any --
   These tests inspect raw Kubernetes JSON (kubectl -o json); typing every field would add nothing. */
/**
 * Topic ownership and deletions that finish, end to end: the operator in-process with the
 * KafkaTopicsComponent, the REAL API server of the test environment and its REAL Kafka broker.
 * - a pre-existing topic with data and its own retention, named by a CR with deletionPolicy Delete:
 *   TopicNotOwned, never changed, and deleting the CR leaves topic, config and messages intact;
 * - two CRs naming one topic: TopicConflict naming the owner; adopt after the owner is gone;
 * - a CR whose broker became unreachable is deleted: the finalizer is released within the
 *   configured bound (--topic-deletion-timeout-seconds=20) with a Warning naming the topics;
 * - topics are created only once the finalizer is stored.
 * Claims live in the test namespace (--topic-ownership-namespace defaults to the Lease namespace).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import kafkajs from 'kafkajs';
import type { Admin } from 'kafkajs';
import { pino } from 'pino';
import {
  applyCr,
  condition,
  createNamespace,
  getCr,
  installCrd,
  kubectl,
  kubectlJson,
  operatorConfig,
  requireKafkaBrokers,
  startInProcess,
  waitFor,
} from '../../integration/support.js';
import type { InProcessOperator } from '../../integration/support.js';
import { emptyContributions } from '../../controller/component.js';
import { KubeClient } from '../../kube/client.js';
import { loadKubeConfig } from '../../kube/kubeconfig.js';
import type { ChatbotDeployment } from '../../workload/types.js';
import { dataplaneComponents } from './components.js';
import { KafkaTopicsComponent } from '../index.js';
import { TOPIC_FINALIZER } from '../index.js';
import { CLAIM_LABEL } from '../kafka/claims.js';
import { closedPort } from '../../../e2e/support/net.js';
import {
  deleteTopicsAndDisconnect,
  overridesOf,
  partitionsOf,
  releaseAndDeleteNamespace,
  setFinalizers,
} from './kafka-support.js';

const { Kafka, logLevel } = kafkajs;

const brokers = requireKafkaBrokers();
const BOUND_SECONDS = 20;
const leftover = new Set<string>();

/** Messages held by the topic: the sum over partitions of high watermark minus low. */
async function messagesIn(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
}

/** TopicsReady when it has `reason` at the CR's current generation, else undefined (for waitFor). */
async function topicsCondition(ns: string, name: string, reason: string): Promise<any> {
  const cr = await getCr(ns, name);
  const c = condition(cr, 'TopicsReady');
  return c?.reason === reason && c.observedGeneration === cr.metadata.generation ? c : undefined;
}

/** Applies the CR, then waits (bounded) for TopicsReady with `reason` at its new generation. */
async function applyUntil(
  ns: string,
  name: string,
  spec: Record<string, unknown>,
  reason: string,
): Promise<any> {
  await applyCr(ns, name, spec);
  return waitFor(`${name} TopicsReady ${reason}`, async () => topicsCondition(ns, name, reason), 60_000);
}

async function crGone(ns: string, name: string): Promise<boolean> {
  const out = await kubectl(['-n', ns, 'get', 'cbd', name, '--ignore-not-found', '-o', 'name']);
  return out.trim() === '';
}

/** A field of the events with this reason about `regarding`, e.g. jsonpath {.items[*].note}. */
async function eventField(
  ns: string,
  regarding: string,
  reason: string,
  jsonpath = '{.items[*].note}',
): Promise<string> {
  return kubectl([
    '-n',
    ns,
    'get',
    'events.events.k8s.io',
    '--field-selector',
    `regarding.name=${regarding},reason=${reason}`,
    '-o',
    `jsonpath=${jsonpath}`,
  ]);
}

async function claimedTopics(ns: string): Promise<string[]> {
  const list = await kubectlJson(['-n', ns, 'get', 'configmaps', '-l', `${CLAIM_LABEL}=true`]);
  return list.items.map((cm: any) => String(cm.data.topic)).sort();
}

describe('Kafka topic ownership and deletions that finish (operator, real broker)', () => {
  let ns: string;
  let operator: InProcessOperator;
  let admin: Admin;

  beforeAll(async () => {
    await installCrd();
    ns = await createNamespace('cf-own');
    // As main.ts wires it, from the parsed flags (the claims namespace defaults to the Lease's).
    const cfg = operatorConfig(ns, { 'topic-deletion-timeout-seconds': String(BOUND_SECONDS) });
    expect(cfg.topicOwnershipNamespace).toBe(ns);
    operator = await startInProcess(ns, { 'topic-deletion-timeout-seconds': String(BOUND_SECONDS) }, [
      ...dataplaneComponents({
        topicOwnershipNamespace: cfg.topicOwnershipNamespace,
        topicDeletionTimeoutMs: cfg.topicDeletionTimeoutSeconds * 1000,
      }),
    ]);
    admin = new Kafka({ clientId: 'topic-ownership-it', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  });

  afterAll(async () => {
    await operator?.stop();
    if (ns) await releaseAndDeleteNamespace(ns);
    if (admin) await deleteTopicsAndDisconnect(admin, leftover);
  });

  it('a pre-existing topic with data and its own retention survives a CR that names it with deletionPolicy Delete', async () => {
    const topic = `${ns}.orders`;
    leftover.add(topic);
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: 2,
          replicationFactor: 1,
          configEntries: [
            { name: 'retention.ms', value: '123456789' },
            { name: 'cleanup.policy', value: 'compact' },
          ],
        },
      ],
    });
    const producer = new Kafka({
      clientId: 'topic-ownership-it-p',
      brokers,
      logLevel: logLevel.NOTHING,
    }).producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `order ${i}` })),
    });
    await producer.disconnect();
    expect(await messagesIn(admin, topic)).toBe(10);
    const before = await overridesOf(admin, topic);
    expect(before).toEqual({ 'retention.ms': '123456789', 'cleanup.policy': 'compact' });

    // The CR asks for more partitions and other configs: none of it may reach the topic.
    const notOwned = await applyUntil(
      ns,
      'taker',
      {
        scaling: { minReplicas: 1, maxReplicas: 1 },
        messaging: {
          kafka: {
            bootstrapServers: brokers,
            deletionPolicy: 'Delete',
            topics: [{ name: topic, partitions: 6, config: { 'retention.ms': '1000' }, purpose: 'tasks' }],
          },
        },
      },
      'TopicNotOwned',
    );
    expect(notOwned.status).toBe('False');
    expect(notOwned.message).toContain(
      `topic ${topic} already exists and was not created by this ChatbotDeployment`,
    );
    const cr = await getCr(ns, 'taker');
    expect(cr.metadata.finalizers).toContain(TOPIC_FINALIZER);
    expect(cr.status.topics).toEqual([expect.objectContaining({ name: topic, partitions: 2, ready: false })]);
    expect(await partitionsOf(admin, topic)).toBe(2);
    expect(await overridesOf(admin, topic)).toEqual(before);
    expect(await claimedTopics(ns)).not.toContain(topic);

    await kubectl(['-n', ns, 'delete', 'cbd', 'taker', '--wait=false']);
    await waitFor('CR taker gone', async () => crGone(ns, 'taker'), 30_000);
    // Deletion is asynchronous on the broker: give a wrong delete time to show before checking.
    await new Promise((r) => setTimeout(r, 2000));
    expect(await partitionsOf(admin, topic)).toBe(2);
    expect(await overridesOf(admin, topic)).toEqual(before);
    expect(await messagesIn(admin, topic)).toBe(10);
    expect(await eventField(ns, 'taker', 'TopicsRetained')).toContain(topic);
  });

  it('two CRs naming one topic: TopicConflict naming the owner; once it is gone, adopt takes the topic over', async () => {
    const topic = `${ns}.shared`;
    leftover.add(topic);
    const kafka = (over: Record<string, unknown> = {}, topicOver: Record<string, unknown> = {}) => ({
      scaling: { minReplicas: 1, maxReplicas: 1 },
      messaging: {
        kafka: { bootstrapServers: brokers, topics: [{ name: topic, partitions: 2, ...topicOver }], ...over },
      },
    });
    await applyUntil(ns, 'first', kafka(), 'Ready');
    expect(await partitionsOf(admin, topic)).toBe(2);

    const conflict = await applyUntil(
      ns,
      'second',
      kafka({ deletionPolicy: 'Delete' }, { partitions: 4, config: { 'retention.ms': '60000' } }),
      'TopicConflict',
    );
    expect(conflict.message).toContain(`owned by ChatbotDeployment ${ns}/first`);
    // Adopting does not beat an owner that still declares it.
    await applyUntil(
      ns,
      'second',
      kafka({ deletionPolicy: 'Delete' }, { partitions: 4, adopt: true }),
      'TopicConflict',
    );
    expect(await partitionsOf(admin, topic)).toBe(2);
    expect(await overridesOf(admin, topic)).toEqual({});
    expect(condition(await getCr(ns, 'first'), 'TopicsReady')?.reason).toBe('Ready');

    // The owner goes with Retain: the topic stays and is nobody's until adopted.
    await kubectl(['-n', ns, 'delete', 'cbd', 'first', '--wait=true', '--timeout=60s']);
    const stale = await applyUntil(
      ns,
      'second',
      kafka({ deletionPolicy: 'Delete' }, { partitions: 4, config: { 'retention.ms': '60000' } }),
      'TopicNotOwned',
    );
    expect(stale.message).toContain(`created by ChatbotDeployment ${ns}/first, which no longer declares it`);
    expect(await partitionsOf(admin, topic)).toBe(2);

    await applyUntil(
      ns,
      'second',
      kafka(
        { deletionPolicy: 'Delete' },
        { partitions: 4, config: { 'retention.ms': '60000' }, adopt: true },
      ),
      'Ready',
    );
    expect(await partitionsOf(admin, topic)).toBe(4);
    expect(await overridesOf(admin, topic)).toEqual({ 'retention.ms': '60000' });

    // Adopted with deletionPolicy Delete: deleting the CR deletes the topic and its claim.
    await kubectl(['-n', ns, 'delete', 'cbd', 'second', '--wait=false']);
    await waitFor('CR second gone', async () => crGone(ns, 'second'), 60_000);
    await waitFor('topic deleted', async () => !(await admin.listTopics()).includes(topic), 30_000);
    expect(await claimedTopics(ns)).not.toContain(topic);
    expect(await eventField(ns, 'second', 'TopicsDeleted')).toContain(topic);
  }, 300_000);

  it('a CR whose broker is gone is deleted within the bound, with a Warning naming the topics left behind', async () => {
    const events = `${ns}.lost.events`;
    const tasks = `${ns}.lost.tasks`;
    leftover.add(events).add(tasks);
    const spec = (servers: string[]) => ({
      scaling: { minReplicas: 1, maxReplicas: 1 },
      messaging: { kafka: { bootstrapServers: servers, deletionPolicy: 'Delete' } },
    });
    await applyUntil(ns, 'lost', spec(brokers), 'Ready');
    expect(await claimedTopics(ns)).toEqual(expect.arrayContaining([events, tasks]));

    // The broker goes away (a closed loopback port), then the CR is deleted.
    const port = await closedPort();
    await applyUntil(ns, 'lost', spec([`127.0.0.1:${port}`]), 'KafkaUnavailable');
    const started = Date.now();
    await kubectl(['-n', ns, 'delete', 'cbd', 'lost', '--wait=false']);
    // Still held while the bound runs: deletion retries first.
    await new Promise((r) => setTimeout(r, 8000));
    expect(await crGone(ns, 'lost')).toBe(false);
    await waitFor('CR lost gone', async () => crGone(ns, 'lost'), (BOUND_SECONDS + 25) * 1000);
    const tookMs = Date.now() - started;
    // deletionTimestamp has second precision: the bound may end up to 1 s early.
    expect(tookMs).toBeGreaterThanOrEqual((BOUND_SECONDS - 1) * 1000);
    expect(tookMs).toBeLessThanOrEqual((BOUND_SECONDS + 25) * 1000);
    const warning = await waitFor(
      'TopicsLeftBehind event',
      async () => (await eventField(ns, 'lost', 'TopicsLeftBehind')) || undefined,
      10_000,
    );
    expect(warning).toContain(events);
    expect(warning).toContain(tasks);
    expect(warning).toContain(`after ${BOUND_SECONDS} s`);
    const type = await eventField(ns, 'lost', 'TopicsLeftBehind', '{.items[0].type}');
    expect(type).toBe('Warning');
    // Left behind means still there, with the claim saying who made them.
    const listed = await admin.listTopics();
    expect(listed).toEqual(expect.arrayContaining([events, tasks]));
    expect(await claimedTopics(ns)).toEqual(expect.arrayContaining([events, tasks]));
    process.stdout.write(
      `topic-ownership: CR with an unreachable broker deleted after ${tookMs} ms (bound ${BOUND_SECONDS} s)\n`,
    );
  }, 180_000);

  it('a CR that never reached its broker owns nothing, so its deletion does not wait', async () => {
    const port = await closedPort();
    await applyUntil(
      ns,
      'never',
      {
        scaling: { minReplicas: 1, maxReplicas: 1 },
        messaging: { kafka: { bootstrapServers: [`127.0.0.1:${port}`], deletionPolicy: 'Delete' } },
      },
      'KafkaUnavailable',
    );
    expect((await getCr(ns, 'never')).metadata.finalizers).toContain(TOPIC_FINALIZER);
    const started = Date.now();
    await kubectl(['-n', ns, 'delete', 'cbd', 'never', '--wait=false']);
    await waitFor('CR never gone', async () => crGone(ns, 'never'), 15_000);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await eventField(ns, 'never', 'TopicsLeftBehind')).toBe('');
  });

  it('topics are created only once the finalizer is stored', async () => {
    // The component on its own, on a real CR of a namespace the in-process operator does not watch.
    const other = await createNamespace('cf-own-fin');
    const { kc } = loadKubeConfig(process.env);
    const client = await KubeClient.create(kc);
    try {
      const events = `${other}.early.events`;
      const tasks = `${other}.early.tasks`;
      leftover.add(events).add(tasks);
      await applyCr(other, 'early', {
        scaling: { minReplicas: 1, maxReplicas: 1 },
        sessions: { redis: { mode: 'external', secretRef: { name: 'none' } } },
        messaging: { kafka: { bootstrapServers: brokers, deletionPolicy: 'Delete' } },
      });
      const cr = (await getCr(other, 'early')) as ChatbotDeployment;
      expect(cr.metadata.finalizers ?? []).not.toContain(TOPIC_FINALIZER);
      const component = new KafkaTopicsComponent(client, { topicOwnershipNamespace: other });
      const ctx = (c: ChatbotDeployment) => ({
        cr: c,
        log: pino({ level: 'silent' }),
        now: new Date(),
        deployment: undefined,
        pods: [],
        contributed: emptyContributions(),
      });
      const first = await component.reconcile(ctx(cr));
      expect(first.finalizer).toBe(TOPIC_FINALIZER);
      expect(first.conditions?.find((c) => c.type === 'TopicsReady')).toBeUndefined();
      expect(first.requeueAfterMs).toBeLessThanOrEqual(1000);
      const listed = await admin.listTopics();
      expect(listed).not.toContain(events);
      expect(listed).not.toContain(tasks);
      expect(await claimedTopics(other)).toEqual([]);

      // What the reconciler does next: store the finalizer; the next pass may create topics.
      await setFinalizers(other, 'cbd/early', [TOPIC_FINALIZER]);
      const stored = (await getCr(other, 'early')) as ChatbotDeployment;
      const second = await component.reconcile(ctx(stored));
      expect(second.conditions?.find((c) => c.type === 'TopicsReady')).toMatchObject({
        status: 'True',
        reason: 'Ready',
      });
      expect(await admin.listTopics()).toEqual(expect.arrayContaining([events, tasks]));
      expect(await claimedTopics(other)).toEqual([events, tasks].sort());
    } finally {
      await releaseAndDeleteNamespace(other);
      client.close();
    }
  });
});
