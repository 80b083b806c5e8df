/**
 * Topic management (deletion) against the REAL KRaft broker of the test environment (KAFKA_BROKERS), with the
 * topic claims (ownership records) as ConfigMaps on the REAL API server, in a namespace of this run.
 * Every run uses its own namespace-like prefix, and deletes what it created.
 */
import { describe, expect, it } from '@jest/globals';
import { testCbd } from '../fixtures.js';
import { holderOf } from '../kafka/ownership.js';
import { finalizeTopics, needsTopicFinalizer, reconcileTopics } from '../kafka/reconcile.js';
import type { FinalizeDeps } from '../kafka/reconcile.js';
import type { ChatbotDeployment } from '../types.js';
import { closedPort } from '../../../e2e/support/net.js';
import { eventuallyListed } from './kafka-support.js';
import { topicsSuite } from './kafka-topics-support.js';

describe('Kafka topics (real broker): deletionPolicy and deletion bounds', () => {
  const t = topicsSuite();
  const { run, created, cbd: cbdOf } = t;

  it('deletionPolicy Delete: finalizer wanted and topics deleted; Retain: topics kept', async () => {
    const del = cbdOf('del', { deletionPolicy: 'Delete', topics: [] });
    const keep = cbdOf('keep', { deletionPolicy: 'Retain', topics: [] });
    const delTopics = [`${run}.del.events`, `${run}.del.tasks`];
    await reconcileTopics(del, t.deps);
    await reconcileTopics(keep, t.deps);
    [`${run}.keep.events`, `${run}.keep.tasks`].forEach((n) => created.add(n));
    expect(needsTopicFinalizer(del)).toBe(true);
    expect(needsTopicFinalizer(keep)).toBe(false);
    expect((await t.deps.ownership.listHeldBy(holderOf(del))).map((c) => c.topic).sort()).toEqual(delTopics);

    const deleted = await finalizeTopics(del, t.deps);
    expect(deleted).toMatchObject({ done: true, notOwned: [], leftBehind: [] });
    expect(deleted.deleted.sort()).toEqual(delTopics);
    expect(await eventuallyListed(t.admin, `${run}.del.events`, false)).toBe(true);
    expect(await eventuallyListed(t.admin, `${run}.del.tasks`, false)).toBe(true);
    // The claims go with their topics.
    expect(await t.deps.ownership.listHeldBy(holderOf(del))).toEqual([]);

    // Nothing claimed any more: done without the broker, and nothing is deleted a second time.
    const again = await finalizeTopics(del, t.deps);
    expect(again).toEqual({ done: true, deleted: [], notOwned: delTopics, leftBehind: [] });

    expect(await finalizeTopics(keep, t.deps)).toEqual({
      done: true,
      deleted: [],
      notOwned: [],
      leftBehind: [],
    });
    expect(await t.admin.listTopics()).toEqual(
      expect.arrayContaining([`${run}.keep.events`, `${run}.keep.tasks`]),
    );
  });

  it('an unreachable broker -> KafkaUnavailable, env still wired; deleting the CR is done at once', async () => {
    const port = await closedPort();
    const cbd = testCbd({
      metadata: { name: 'down', namespace: run, uid: undefined, deletionTimestamp: new Date() },
      kafka: { bootstrapServers: [`127.0.0.1:${port}`], deletionPolicy: 'Delete' },
    });
    const result = await reconcileTopics(cbd, t.deps);
    expect(result?.condition).toMatchObject({ status: 'False', reason: 'KafkaUnavailable' });
    expect(result?.env[0]).toEqual({ name: 'KAFKA_BROKERS', value: `127.0.0.1:${port}` });
    expect(result?.requeueAfterMs).toBe(5_000);
    expect(result?.topicsStatus.every((t) => !t.ready)).toBe(true);

    // It never reached a broker, so it claimed (and created) nothing: nothing to wait for.
    const started = Date.now();
    const fin = await finalizeTopics(cbd, t.deps);
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
    const live = cbdOf('gone', { deletionPolicy: 'Delete', topics: [] });
    expect((await reconcileTopics(live, t.deps))?.condition.reason).toBe('Ready');

    const port = await closedPort();
    const deletedAt = (msAgo: number): ChatbotDeployment =>
      testCbd({
        metadata: { ...live.metadata, deletionTimestamp: new Date(Date.now() - msAgo) },
        kafka: { bootstrapServers: [`127.0.0.1:${port}`], deletionPolicy: 'Delete', topics: [] },
        maxReplicas: 3,
      });
    const bounded: FinalizeDeps = {
      ...t.deps,
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
    expect(await t.admin.listTopics()).toEqual(expect.arrayContaining(names));
    expect(await t.deps.ownership.listHeldBy(holderOf(live))).toHaveLength(2);

    // Back on the real broker, the same CR deletes them after all.
    const back = await finalizeTopics(
      { ...live, metadata: { ...live.metadata, deletionTimestamp: new Date() } },
      t.deps,
    );
    expect(back.deleted.sort()).toEqual(names);
  });
});
