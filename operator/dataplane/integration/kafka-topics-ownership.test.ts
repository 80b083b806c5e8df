/**
 * Topic management (ownership and claims) against the REAL KRaft broker of the test environment (KAFKA_BROKERS), with the
 * topic claims (ownership records) as ConfigMaps on the REAL API server, in a namespace of this run.
 * Every run uses its own namespace-like prefix, and deletes what it created.
 */
import { describe, expect, it } from '@jest/globals';
import { applyCr } from '../../integration/support.js';
import { testCbd } from '../fixtures.js';
import { KubeTopicOwnership } from '../kafka/claims.js';
import { finalizeTopics, reconcileTopics } from '../kafka/reconcile.js';
import type { ChatbotDeployment } from '../types.js';
import type { KafkaTopicSpecInput } from '../../api/index.js';
import { eventuallyListed, overridesOf, partitionsOf } from './kafka-support.js';
import { brokers, topicsSuite } from './kafka-topics-support.js';

describe('Kafka topics (real broker): ownership and claims', () => {
  const t = topicsSuite();
  const { run, created, cbd: cbdOf, tasksTopic } = t;

  it('an existing topic the CR did not create is never touched, not even deleted; adopt takes it over', async () => {
    const topic = `${run}.foreign`;
    created.add(topic);
    await t.admin.createTopics({
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
      cbdOf('foreign', {
        deletionPolicy: 'Delete',
        topics: [
          tasksTopic(topic, {
            partitions: 3,
            config: { 'retention.ms': '1000' },
            ...(adopt ? { adopt } : {}),
          }),
        ],
      });

    const result = await reconcileTopics(spec(false), t.deps);
    expect(result?.condition).toMatchObject({ status: 'False', reason: 'TopicNotOwned' });
    expect(result?.condition.message).toContain(`topic ${topic} already exists`);
    expect(result?.topicsStatus[0]).toMatchObject({ name: topic, partitions: 1, ready: false });
    expect(await partitionsOf(t.admin, topic)).toBe(1);
    expect(await overridesOf(t.admin, topic)).toEqual({ 'retention.ms': '86400000' });

    const fin = await finalizeTopics(spec(false), t.deps);
    expect(fin).toEqual({ done: true, deleted: [], notOwned: [topic], leftBehind: [] });
    expect(await eventuallyListed(t.admin, topic, true)).toBe(true);

    const adopted = await reconcileTopics(spec(true), t.deps);
    expect(adopted?.condition.reason).toBe('Ready');
    expect(await partitionsOf(t.admin, topic)).toBe(3);
    expect(await overridesOf(t.admin, topic)).toEqual({ 'retention.ms': '1000' });
    const claims = await t.deps.ownership.listHeldBy({ namespace: run, name: 'foreign' });
    expect(claims).toEqual([expect.objectContaining({ topic, adopted: true })]);
    expect((await finalizeTopics(spec(true), t.deps)).deleted).toEqual([topic]);
  });

  it('two CRs racing for one absent topic: exactly one owns it, the other gets TopicConflict naming it', async () => {
    // The holders must exist for their claims to count: real CRs (no operator runs here).
    const topic = `${run}.contested`;
    created.add(topic);
    const kafka = { bootstrapServers: brokers, topics: [tasksTopic(topic)] };
    await applyCr(t.claimsNs, 'a', { messaging: { kafka } });
    await applyCr(t.claimsNs, 'b', { messaging: { kafka } });
    const holderCbd = (name: string): ChatbotDeployment =>
      testCbd({ metadata: { name, namespace: t.claimsNs, uid: undefined }, kafka, maxReplicas: 3 });
    const results = await Promise.all([
      reconcileTopics(holderCbd('a'), t.deps),
      reconcileTopics(holderCbd('b'), t.deps),
    ]);
    const reasons = results.map((r) => r?.condition.reason);
    expect([...reasons].sort()).toEqual(['Ready', 'TopicConflict']);
    const winner = reasons[0] === 'Ready' ? 'a' : 'b';
    const loser = winner === 'a' ? 'b' : 'a';
    expect(results[winner === 'a' ? 1 : 0]?.condition.message).toContain(
      `owned by ChatbotDeployment ${t.claimsNs}/${winner}`,
    );
    // The holder still declares it: the loser's next pass says the same, and changes nothing.
    expect((await reconcileTopics(holderCbd(loser), t.deps))?.condition.reason).toBe('TopicConflict');
    expect((await reconcileTopics(holderCbd(winner), t.deps))?.condition.reason).toBe('Ready');
  });

  it('a topic dropped from the spec and adopted by another CR meanwhile is not ours when declared again', async () => {
    const topic = `${run}.handover`;
    created.add(topic);
    const kafka = (name: string, extra: Partial<KafkaTopicSpecInput> = {}) => ({
      bootstrapServers: brokers,
      topics: [{ ...tasksTopic(name), ...extra }],
    });
    const holderCbd = (name: string, k: ReturnType<typeof kafka>): ChatbotDeployment =>
      testCbd({ metadata: { name, namespace: t.claimsNs, uid: undefined }, kafka: k, maxReplicas: 3 });
    await applyCr(t.claimsNs, 'c', { messaging: { kafka: kafka(topic) } });
    expect((await reconcileTopics(holderCbd('c', kafka(topic)), t.deps))?.condition.reason).toBe('Ready');
    // c drops the topic; d adopts it (c's claim is stale now, since c no longer declares it).
    await applyCr(t.claimsNs, 'c', { messaging: { kafka: kafka(`${run}.other`) } });
    created.add(`${run}.other`);
    // d's claim is written by another writer (a previous leader, say): this store's cache still has c's.
    await applyCr(t.claimsNs, 'd', { messaging: { kafka: kafka(topic, { adopt: true }) } });
    const elsewhere = { ownership: new KubeTopicOwnership(t.client, t.claimsNs) };
    expect(
      (await reconcileTopics(holderCbd('d', kafka(topic, { adopt: true })), elsewhere))?.condition.reason,
    ).toBe('Ready');
    // c declares it again: a new generation reads claims fresh (its cached claim is outdated).
    await applyCr(t.claimsNs, 'c', { messaging: { kafka: kafka(topic) } });
    const back = await reconcileTopics(holderCbd('c', kafka(topic)), { ...t.deps, freshClaims: true });
    expect(back?.condition.reason).toBe('TopicConflict');
    expect(back?.condition.message).toContain(`owned by ChatbotDeployment ${t.claimsNs}/d`);
  });

  it('claims: one create wins; a takeover is conditional on the resourceVersion it replaces', async () => {
    const store = new KubeTopicOwnership(t.client, t.claimsNs);
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
    const cbd = testCbd({ metadata: { name: 'none', namespace: run, uid: undefined } });
    expect(await reconcileTopics(cbd, t.deps)).toBeUndefined();
    expect(await finalizeTopics(cbd, t.deps)).toEqual({
      done: true,
      deleted: [],
      notOwned: [],
      leftBehind: [],
    });
  });
});
