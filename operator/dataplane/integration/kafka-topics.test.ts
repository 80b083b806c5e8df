/**
 * Topic management against the REAL KRaft broker of the test environment (KAFKA_BROKERS), with the
 * topic claims (ownership records) as ConfigMaps on the REAL API server, in a namespace of this run.
 * Every run uses its own namespace-like prefix, and deletes what it created.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import kafkajs from 'kafkajs';
import type { Admin } from 'kafkajs';
import { KubeClient } from '../../kube/client.js';
import { loadKubeConfig } from '../../kube/kubeconfig.js';
import { KubeTopicOwnership } from '../kafka/claims.js';
import { finalizeTopics, needsTopicFinalizer, reconcileTopics } from '../kafka/reconcile.js';
import type { FinalizeDeps, TopicsDeps } from '../kafka/reconcile.js';
import type { KafkaSpecInput, KafkaTopicSpecInput } from '../../api/index.js';
import { testCbd } from '../fixtures.js';
import { holderOf } from '../kafka/ownership.js';
import type { ChatbotDeployment } from '../types.js';
import {
  applyCr,
  createNamespace,
  deleteNamespace,
  installCrd,
  requireKafkaBrokers,
  requireKubeconfig,
} from '../../integration/support.js';
import { closedPort } from '../../../e2e/support/net.js';
import { deleteTopicsAndDisconnect, eventuallyListed, overridesOf, partitionsOf } from './kafka-support.js';

const { Kafka, logLevel } = kafkajs;

const brokers = requireKafkaBrokers();
const run = `dp-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
const created = new Set<string>();

function cbd(name: string, kafka: Partial<KafkaSpecInput>, maxReplicas = 3): ChatbotDeployment {
  return testCbd({
    metadata: { name, namespace: run, uid: `uid-${name}` },
    kafka: { bootstrapServers: brokers, ...kafka },
    maxReplicas,
  });
}

function tasksTopic(name: string, over: Partial<KafkaTopicSpecInput> = {}): KafkaTopicSpecInput {
  created.add(name);
  return { name, partitions: 3, replicationFactor: 1, purpose: 'tasks', config: {}, ...over };
}

describe('Kafka topics (real broker)', () => {
  let admin: Admin;
  let client: KubeClient;
  let claimsNs: string;
  let deps: TopicsDeps;

  beforeAll(async () => {
    admin = new Kafka({ clientId: 'dataplane-it', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    requireKubeconfig();
    client = await KubeClient.create(loadKubeConfig(process.env).kc);
    await installCrd();
    claimsNs = await createNamespace('cf-claims');
    deps = { ownership: new KubeTopicOwnership(client, claimsNs) };
  });

  afterAll(async () => {
    // The namespace first: a failing topic cleanup must not leave it behind.
    if (claimsNs) await deleteNamespace(claimsNs);
    client?.close();
    const existing = (await admin.listTopics()).filter((t) => t.startsWith(`${run}.`));
    await deleteTopicsAndDisconnect(admin, [...existing, ...created]);
  });

  it('creates the default <namespace>.<name>.events/.tasks topics and wires the env', async () => {
    const cr = cbd('defaults', { topics: [] });
    const result = await reconcileTopics(cr, deps);
    const names = [`${run}.defaults.events`, `${run}.defaults.tasks`];
    names.forEach((n) => created.add(n));
    expect(result?.condition).toMatchObject({ type: 'TopicsReady', status: 'True', reason: 'Ready' });
    expect(result?.topicsStatus).toEqual(
      names.map((name) => ({ name, partitions: 3, ready: true, message: '' })),
    );
    const listed = await admin.listTopics();
    expect(listed).toEqual(expect.arrayContaining(names));
    expect(await partitionsOf(admin, names[1]!)).toBe(3);
    expect(result?.env).toEqual([
      { name: 'KAFKA_BROKERS', value: brokers.join(',') },
      { name: 'KAFKA_EVENTS_TOPIC', value: names[0] },
      { name: 'KAFKA_TASKS_TOPIC', value: names[1] },
    ]);
    expect(result?.requeueAfterMs).toBe(300_000);
  });

  it('raises partitions on the broker; a decrease is NotSupported and leaves the broker untouched', async () => {
    const topic = `${run}.grow.tasks`;
    await reconcileTopics(cbd('grow', { topics: [tasksTopic(topic, { partitions: 2 })] }, 2), deps);
    expect(await partitionsOf(admin, topic)).toBe(2);

    const grown = await reconcileTopics(
      cbd('grow', { topics: [tasksTopic(topic, { partitions: 5 })] }, 2),
      deps,
    );
    expect(grown?.condition.reason).toBe('Ready');
    expect(await partitionsOf(admin, topic)).toBe(5);
    expect(grown?.topicsStatus[0]).toMatchObject({ partitions: 5, ready: true });

    const shrunk = await reconcileTopics(
      cbd('grow', { topics: [tasksTopic(topic, { partitions: 1 })] }, 2),
      deps,
    );
    expect(shrunk?.condition).toMatchObject({ status: 'False', reason: 'NotSupported' });
    expect(shrunk?.condition.message).toContain('cannot decrease partitions');
    expect(shrunk?.topicsStatus[0]).toMatchObject({ name: topic, partitions: 5, ready: false });
    expect(await partitionsOf(admin, topic)).toBe(5);
  });

  it('a replication-factor change is reported as drift it cannot fix', async () => {
    const topic = `${run}.rf.tasks`;
    await reconcileTopics(cbd('rf', { topics: [tasksTopic(topic)] }), deps);
    const result = await reconcileTopics(
      cbd('rf', { topics: [tasksTopic(topic, { replicationFactor: 3 })] }),
      deps,
    );
    expect(result?.condition.reason).toBe('NotSupported');
    expect(result?.condition.message).toContain('replicationFactor 1 -> 3');
  });

  it('applies config changes and reverts overrides that are not in the spec', async () => {
    const topic = `${run}.cfg.tasks`;
    const withRetention = (ms: string) =>
      cbd('cfg', { topics: [tasksTopic(topic, { config: { 'retention.ms': ms } })] });
    await reconcileTopics(withRetention('3600000'), deps);
    expect(await overridesOf(admin, topic)).toEqual({ 'retention.ms': '3600000' });

    const changed = await reconcileTopics(withRetention('7200000'), deps);
    expect(changed?.condition.reason).toBe('Ready');
    expect(await overridesOf(admin, topic)).toEqual({ 'retention.ms': '7200000' });

    await reconcileTopics(cbd('cfg', { topics: [tasksTopic(topic, { config: {} })] }), deps);
    expect(await overridesOf(admin, topic)).toEqual({});
  });

  it('a config the broker refuses -> KafkaError with the broker message on that topic', async () => {
    const topic = `${run}.badcfg.tasks`;
    const result = await reconcileTopics(
      cbd('badcfg', { topics: [tasksTopic(topic, { config: { 'cleanup.policy': 'not-a-policy' } })] }),
      deps,
    );
    expect(result?.condition).toMatchObject({ status: 'False', reason: 'KafkaError' });
    expect(result?.topicsStatus[0]?.ready).toBe(false);
    expect(result?.topicsStatus[0]?.message).toContain('create refused by the broker');
  });

  it('warns when the consumer topic has fewer partitions than maxReplicas (idle workers)', async () => {
    const topic = `${run}.idle.tasks`;
    const result = await reconcileTopics(
      cbd('idle', { topics: [tasksTopic(topic, { partitions: 2 })] }, 6),
      deps,
    );
    expect(result?.condition).toMatchObject({ status: 'True', reason: 'PartitionsBelowMaxReplicas' });
    expect(result?.condition.message).toContain('maxReplicas=6');
  });

  it('deletionPolicy Delete: finalizer wanted and topics deleted; Retain: topics kept', async () => {
    const del = cbd('del', { deletionPolicy: 'Delete', topics: [] });
    const keep = cbd('keep', { deletionPolicy: 'Retain', topics: [] });
    const delTopics = [`${run}.del.events`, `${run}.del.tasks`];
    await reconcileTopics(del, deps);
    await reconcileTopics(keep, deps);
    [`${run}.keep.events`, `${run}.keep.tasks`].forEach((n) => created.add(n));
    expect(needsTopicFinalizer(del)).toBe(true);
    expect(needsTopicFinalizer(keep)).toBe(false);
    expect((await deps.ownership.listHeldBy(holderOf(del))).map((c) => c.topic).sort()).toEqual(delTopics);

    const deleted = await finalizeTopics(del, deps);
    expect(deleted).toMatchObject({ done: true, notOwned: [], leftBehind: [] });
    expect(deleted.deleted.sort()).toEqual(delTopics);
    expect(await eventuallyListed(admin, `${run}.del.events`, false)).toBe(true);
    expect(await eventuallyListed(admin, `${run}.del.tasks`, false)).toBe(true);
    // The claims go with their topics.
    expect(await deps.ownership.listHeldBy(holderOf(del))).toEqual([]);

    // Nothing claimed any more: done without the broker, and nothing is deleted a second time.
    const again = await finalizeTopics(del, deps);
    expect(again).toEqual({ done: true, deleted: [], notOwned: delTopics, leftBehind: [] });

    expect(await finalizeTopics(keep, deps)).toEqual({
      done: true,
      deleted: [],
      notOwned: [],
      leftBehind: [],
    });
    expect(await admin.listTopics()).toEqual(
      expect.arrayContaining([`${run}.keep.events`, `${run}.keep.tasks`]),
    );
  });

  it('an unreachable broker -> KafkaUnavailable, env still wired; deleting the CR is done at once', async () => {
    const port = await closedPort();
    const cr = testCbd({
      metadata: { name: 'down', namespace: run, uid: undefined, deletionTimestamp: new Date() },
      kafka: { bootstrapServers: [`127.0.0.1:${port}`], deletionPolicy: 'Delete' },
    });
    const result = await reconcileTopics(cr, deps);
    expect(result?.condition).toMatchObject({ status: 'False', reason: 'KafkaUnavailable' });
    expect(result?.env[0]).toEqual({ name: 'KAFKA_BROKERS', value: `127.0.0.1:${port}` });
    expect(result?.requeueAfterMs).toBe(5_000);
    expect(result?.topicsStatus.every((t) => !t.ready)).toBe(true);

    // It never reached a broker, so it claimed (and created) nothing: nothing to wait for.
    const started = Date.now();
    const fin = await finalizeTopics(cr, deps);
    expect(fin).toEqual({
      done: true,
      deleted: [],
      notOwned: [`${run}.down.events`, `${run}.down.tasks`],
      leftBehind: [],
    });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('the broker gone after the topics were created: deletion retries within the bound, then leaves them behind', async () => {
    const names = [`${run}.gone.events`, `${run}.gone.tasks`];
    names.forEach((n) => created.add(n));
    const live = cbd('gone', { deletionPolicy: 'Delete', topics: [] });
    expect((await reconcileTopics(live, deps))?.condition.reason).toBe('Ready');

    const port = await closedPort();
    const deletedAt = (msAgo: number): ChatbotDeployment =>
      testCbd({
        metadata: { ...live.metadata, deletionTimestamp: new Date(Date.now() - msAgo) },
        kafka: { bootstrapServers: [`127.0.0.1:${port}`], deletionPolicy: 'Delete', topics: [] },
        maxReplicas: 3,
      });
    const bounded: FinalizeDeps = {
      ...deps,
      deletionTimeoutMs: 60_000,
      connectionProblem: 'the credentials Secret kafka-creds does not exist',
    };
    const early = await finalizeTopics(deletedAt(1000), bounded);
    expect(early).toMatchObject({ done: false, deleted: [], leftBehind: [], requeueAfterMs: 5000 });
    expect(early.condition?.reason).toBe('KafkaUnavailable');
    expect(early.condition?.message).toContain('the credentials Secret kafka-creds does not exist');
    const near = await finalizeTopics(deletedAt(57_000), bounded);
    expect(near.done).toBe(false);
    expect(near.requeueAfterMs).toBeLessThanOrEqual(3000);

    const late = await finalizeTopics(deletedAt(61_000), bounded);
    expect(late.done).toBe(true);
    expect(late.leftBehind.sort()).toEqual(names);
    expect(late.deleted).toEqual([]);
    // Left behind, not forgotten: the topics and their claims are still there.
    expect(await admin.listTopics()).toEqual(expect.arrayContaining(names));
    expect(await deps.ownership.listHeldBy(holderOf(live))).toHaveLength(2);

    // Back on the real broker, the same CR deletes them after all.
    const back = await finalizeTopics(
      { ...live, metadata: { ...live.metadata, deletionTimestamp: new Date() } },
      deps,
    );
    expect(back.deleted.sort()).toEqual(names);
  });

  it('an existing topic the CR did not create is never touched, not even deleted; adopt takes it over', async () => {
    const topic = `${run}.foreign`;
    created.add(topic);
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [{ name: 'retention.ms', value: '86400000' }],
        },
      ],
    });
    const spec = (adopt: boolean) =>
      cbd('foreign', {
        deletionPolicy: 'Delete',
        topics: [
          tasksTopic(topic, {
            partitions: 3,
            config: { 'retention.ms': '1000' },
            ...(adopt ? { adopt } : {}),
          }),
        ],
      });

    const result = await reconcileTopics(spec(false), deps);
    expect(result?.condition).toMatchObject({ status: 'False', reason: 'TopicNotOwned' });
    expect(result?.condition.message).toContain(`topic ${topic} already exists`);
    expect(result?.topicsStatus[0]).toMatchObject({ name: topic, partitions: 1, ready: false });
    expect(await partitionsOf(admin, topic)).toBe(1);
    expect(await overridesOf(admin, topic)).toEqual({ 'retention.ms': '86400000' });

    const fin = await finalizeTopics(spec(false), deps);
    expect(fin).toEqual({ done: true, deleted: [], notOwned: [topic], leftBehind: [] });
    expect(await eventuallyListed(admin, topic, true)).toBe(true);

    const adopted = await reconcileTopics(spec(true), deps);
    expect(adopted?.condition.reason).toBe('Ready');
    expect(await partitionsOf(admin, topic)).toBe(3);
    expect(await overridesOf(admin, topic)).toEqual({ 'retention.ms': '1000' });
    const claims = await deps.ownership.listHeldBy({ namespace: run, name: 'foreign' });
    expect(claims).toEqual([expect.objectContaining({ topic, adopted: true })]);
    expect((await finalizeTopics(spec(true), deps)).deleted).toEqual([topic]);
  });

  it('two CRs racing for one absent topic: exactly one owns it, the other gets TopicConflict naming it', async () => {
    // The holders must exist for their claims to count: real CRs (no operator runs here).
    const topic = `${run}.contested`;
    created.add(topic);
    const kafka = { bootstrapServers: brokers, topics: [tasksTopic(topic)] };
    await applyCr(claimsNs, 'a', { messaging: { kafka } });
    await applyCr(claimsNs, 'b', { messaging: { kafka } });
    const crOf = (name: string): ChatbotDeployment =>
      testCbd({ metadata: { name, namespace: claimsNs, uid: undefined }, kafka, maxReplicas: 3 });
    const results = await Promise.all([reconcileTopics(crOf('a'), deps), reconcileTopics(crOf('b'), deps)]);
    const reasons = results.map((r) => r?.condition.reason);
    expect([...reasons].sort()).toEqual(['Ready', 'TopicConflict']);
    const winner = reasons[0] === 'Ready' ? 'a' : 'b';
    const loser = winner === 'a' ? 'b' : 'a';
    expect(results[winner === 'a' ? 1 : 0]?.condition.message).toContain(
      `owned by ChatbotDeployment ${claimsNs}/${winner}`,
    );
    // The holder still declares it: the loser's next pass says the same, and changes nothing.
    expect((await reconcileTopics(crOf(loser), deps))?.condition.reason).toBe('TopicConflict');
    expect((await reconcileTopics(crOf(winner), deps))?.condition.reason).toBe('Ready');
  });

  it('a topic dropped from the spec and adopted by another CR meanwhile is not ours when declared again', async () => {
    const topic = `${run}.handover`;
    created.add(topic);
    const kafka = (name: string, extra: Partial<KafkaTopicSpecInput> = {}) => ({
      bootstrapServers: brokers,
      topics: [{ ...tasksTopic(name), ...extra }],
    });
    const crOf = (name: string, k: ReturnType<typeof kafka>): ChatbotDeployment =>
      testCbd({ metadata: { name, namespace: claimsNs, uid: undefined }, kafka: k, maxReplicas: 3 });
    await applyCr(claimsNs, 'c', { messaging: { kafka: kafka(topic) } });
    expect((await reconcileTopics(crOf('c', kafka(topic)), deps))?.condition.reason).toBe('Ready');
    // c drops the topic; d adopts it (c's claim is stale now, since c no longer declares it).
    await applyCr(claimsNs, 'c', { messaging: { kafka: kafka(`${run}.other`) } });
    created.add(`${run}.other`);
    // d's claim is written by another writer (a previous leader, say): this store's cache still has c's.
    await applyCr(claimsNs, 'd', { messaging: { kafka: kafka(topic, { adopt: true }) } });
    const elsewhere = { ownership: new KubeTopicOwnership(client, claimsNs) };
    expect(
      (await reconcileTopics(crOf('d', kafka(topic, { adopt: true })), elsewhere))?.condition.reason,
    ).toBe('Ready');
    // c declares it again: a new generation reads claims fresh (its cached claim is outdated).
    await applyCr(claimsNs, 'c', { messaging: { kafka: kafka(topic) } });
    const back = await reconcileTopics(crOf('c', kafka(topic)), { ...deps, freshClaims: true });
    expect(back?.condition.reason).toBe('TopicConflict');
    expect(back?.condition.message).toContain(`owned by ChatbotDeployment ${claimsNs}/d`);
  });

  it('claims: one create wins; a takeover is conditional on the resourceVersion it replaces', async () => {
    const store = new KubeTopicOwnership(client, claimsNs);
    const base = { clusterId: `it-${run}`, topic: 'x', adopted: false };
    const first = { ...base, holder: { namespace: run, name: 'one' } };
    expect(await store.write(first, undefined)).toBe(true);
    expect(await store.write({ ...base, holder: { namespace: run, name: 'two' } }, undefined)).toBe(false);
    const read = await store.get(base.clusterId, 'x', { fresh: true });
    expect(read?.holder.name).toBe('one');
    expect(await store.write({ ...base, holder: { namespace: run, name: 'two' } }, read)).toBe(true);
    // A second takeover from the same (now stale) read loses: the API server checks resourceVersion.
    expect(await store.write({ ...base, holder: { namespace: run, name: 'three' } }, read)).toBe(false);
    expect((await store.get(base.clusterId, 'x', { fresh: true }))?.holder.name).toBe('two');
    await store.release({ ...base, holder: { namespace: run, name: 'two' } });
    expect(await store.get(base.clusterId, 'x', { fresh: true })).toBeUndefined();
  });

  it('no kafka block -> nothing to do', async () => {
    const cr = testCbd({ metadata: { name: 'none', namespace: run, uid: undefined } });
    expect(await reconcileTopics(cr, deps)).toBeUndefined();
    expect(await finalizeTopics(cr, deps)).toEqual({ done: true, deleted: [], notOwned: [], leftBehind: [] });
  });
});
