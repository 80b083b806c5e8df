/**
 * Topic management (deletion: kafka-topics-deletion.test.ts; ownership: kafka-topics-ownership.test.ts) against the REAL KRaft broker of the test environment (KAFKA_BROKERS), with the
 * topic claims (ownership records) as ConfigMaps on the REAL API server, in a namespace of this run.
 * Every run uses its own namespace-like prefix, and deletes what it created.
 */
import { describe, expect, it } from '@jest/globals';
import { reconcileTopics } from '../kafka/reconcile.js';
import { overridesOf, partitionsOf } from './kafka-support.js';
import { brokers, topicsSuite } from './kafka-topics-support.js';

describe('Kafka topics (real broker): create, change, drift', () => {
  const t = topicsSuite();
  const { run, created, cbd: cbdOf, tasksTopic } = t;

  it('creates the default <namespace>.<name>.events/.tasks topics and wires the env', async () => {
    const cbd = cbdOf('defaults', { topics: [] });
    const result = await reconcileTopics(cbd, t.deps);
    const names = [`${run}.defaults.events`, `${run}.defaults.tasks`];
    names.forEach((n) => created.add(n));
    expect(result?.condition).toMatchObject({ type: 'TopicsReady', status: 'True', reason: 'Ready' });
    expect(result?.topicsStatus).toEqual(
      names.map((name) => ({ name, partitions: 3, ready: true, message: '' })),
    );
    const listed = await t.admin.listTopics();
    expect(listed).toEqual(expect.arrayContaining(names));
    expect(await partitionsOf(t.admin, names[1]!)).toBe(3);
    expect(result?.env).toEqual([
      { name: 'KAFKA_BROKERS', value: brokers.join(',') },
      { name: 'KAFKA_EVENTS_TOPIC', value: names[0] },
      { name: 'KAFKA_TASKS_TOPIC', value: names[1] },
    ]);
    expect(result?.requeueAfterMs).toBe(300_000);
  });

  it('raises partitions on the broker; a decrease is NotSupported and leaves the broker untouched', async () => {
    const topic = `${run}.grow.tasks`;
    await reconcileTopics(cbdOf('grow', { topics: [tasksTopic(topic, { partitions: 2 })] }, 2), t.deps);
    expect(await partitionsOf(t.admin, topic)).toBe(2);

    const grown = await reconcileTopics(
      cbdOf('grow', { topics: [tasksTopic(topic, { partitions: 5 })] }, 2),
      t.deps,
    );
    expect(grown?.condition.reason).toBe('Ready');
    expect(await partitionsOf(t.admin, topic)).toBe(5);
    expect(grown?.topicsStatus[0]).toMatchObject({ partitions: 5, ready: true });

    const shrunk = await reconcileTopics(
      cbdOf('grow', { topics: [tasksTopic(topic, { partitions: 1 })] }, 2),
      t.deps,
    );
    expect(shrunk?.condition).toMatchObject({ status: 'False', reason: 'NotSupported' });
    expect(shrunk?.condition.message).toContain('cannot decrease partitions');
    expect(shrunk?.topicsStatus[0]).toMatchObject({ name: topic, partitions: 5, ready: false });
    expect(await partitionsOf(t.admin, topic)).toBe(5);
  });

  it('a replication-factor change is reported as drift it cannot fix', async () => {
    const topic = `${run}.rf.tasks`;
    await reconcileTopics(cbdOf('rf', { topics: [tasksTopic(topic)] }), t.deps);
    const result = await reconcileTopics(
      cbdOf('rf', { topics: [tasksTopic(topic, { replicationFactor: 3 })] }),
      t.deps,
    );
    expect(result?.condition.reason).toBe('NotSupported');
    expect(result?.condition.message).toContain('replicationFactor 1 -> 3');
  });

  it('applies config changes and reverts overrides that are not in the spec', async () => {
    const topic = `${run}.cfg.tasks`;
    const withRetention = (ms: string) =>
      cbdOf('cfg', { topics: [tasksTopic(topic, { config: { 'retention.ms': ms } })] });
    await reconcileTopics(withRetention('3600000'), t.deps);
    expect(await overridesOf(t.admin, topic)).toEqual({ 'retention.ms': '3600000' });

    const changed = await reconcileTopics(withRetention('7200000'), t.deps);
    expect(changed?.condition.reason).toBe('Ready');
    expect(await overridesOf(t.admin, topic)).toEqual({ 'retention.ms': '7200000' });

    await reconcileTopics(cbdOf('cfg', { topics: [tasksTopic(topic, { config: {} })] }), t.deps);
    expect(await overridesOf(t.admin, topic)).toEqual({});
  });

  it('a config the broker refuses -> KafkaError with the broker message on that topic', async () => {
    const topic = `${run}.badcfg.tasks`;
    const result = await reconcileTopics(
      cbdOf('badcfg', { topics: [tasksTopic(topic, { config: { 'cleanup.policy': 'not-a-policy' } })] }),
      t.deps,
    );
    expect(result?.condition).toMatchObject({ status: 'False', reason: 'KafkaError' });
    expect(result?.topicsStatus[0]?.ready).toBe(false);
    expect(result?.topicsStatus[0]?.message).toContain('create refused by the broker');
  });

  it('warns when the consumer topic has fewer partitions than maxReplicas (idle workers)', async () => {
    const topic = `${run}.idle.tasks`;
    const result = await reconcileTopics(
      cbdOf('idle', { topics: [tasksTopic(topic, { partitions: 2 })] }, 6),
      t.deps,
    );
    expect(result?.condition).toMatchObject({ status: 'True', reason: 'PartitionsBelowMaxReplicas' });
    expect(result?.condition.message).toContain('maxReplicas=6');
  });
});
