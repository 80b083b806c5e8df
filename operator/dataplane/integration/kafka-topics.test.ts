/**
 * Topic management against the REAL KRaft broker of the test environment (KAFKA_BROKERS).
 * Every run uses its own namespace-like prefix, and deletes what it created.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:net';
import kafkajs from 'kafkajs';
import type { Admin } from 'kafkajs';
import { finalizeTopics, needsTopicFinalizer, reconcileTopics } from '../kafka/reconcile.js';
import type { DataplaneCbd, KafkaSpec, KafkaTopicSpec } from '../types.js';
import { requireKafkaBrokers } from '../../integration/support.js';

const { ConfigResourceTypes, ConfigSource, Kafka, logLevel } = kafkajs;

const brokers = requireKafkaBrokers();
const run = `dp-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
const created = new Set<string>();

function cbd(name: string, kafka: Partial<KafkaSpec>, maxReplicas = 3): DataplaneCbd {
  return {
    metadata: { name, namespace: run, uid: `uid-${name}` },
    spec: { messaging: { kafka: { bootstrapServers: brokers, ...kafka } }, scaling: { maxReplicas } },
  };
}

function tasksTopic(name: string, over: Partial<KafkaTopicSpec> = {}): KafkaTopicSpec {
  created.add(name);
  return { name, partitions: 3, replicationFactor: 1, purpose: 'tasks', config: {}, ...over };
}

async function partitionsOf(admin: Admin, topic: string): Promise<number> {
  const md = await admin.fetchTopicMetadata({ topics: [topic] });
  return md.topics[0]!.partitions.length;
}

async function overridesOf(admin: Admin, topic: string): Promise<Record<string, string>> {
  const res = await admin.describeConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
    includeSynonyms: false,
  });
  const out: Record<string, string> = {};
  for (const e of res.resources[0]!.configEntries) {
    if (e.configSource === ConfigSource.TOPIC_CONFIG) out[e.configName] = e.configValue;
  }
  return out;
}

/** Topic deletion is asynchronous in the controller; poll (bounded) until metadata agrees. */
async function eventuallyListed(admin: Admin, topic: string, listed: boolean): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    if ((await admin.listTopics()).includes(topic) === listed) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

describe('Kafka topics (real broker)', () => {
  let admin: Admin;

  beforeAll(async () => {
    admin = new Kafka({ clientId: 'dataplane-it', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  });

  afterAll(async () => {
    const existing = (await admin.listTopics()).filter((t) => t.startsWith(`${run}.`) || created.has(t));
    if (existing.length > 0) await admin.deleteTopics({ topics: existing });
    await admin.disconnect();
  });

  it('creates the default <namespace>.<name>.events/.tasks topics and wires the env', async () => {
    const cr = cbd('defaults', { topics: [] });
    const result = await reconcileTopics(cr);
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
    await reconcileTopics(cbd('grow', { topics: [tasksTopic(topic, { partitions: 2 })] }, 2));
    expect(await partitionsOf(admin, topic)).toBe(2);

    const grown = await reconcileTopics(cbd('grow', { topics: [tasksTopic(topic, { partitions: 5 })] }, 2));
    expect(grown?.condition.reason).toBe('Ready');
    expect(await partitionsOf(admin, topic)).toBe(5);
    expect(grown?.topicsStatus[0]).toMatchObject({ partitions: 5, ready: true });

    const shrunk = await reconcileTopics(cbd('grow', { topics: [tasksTopic(topic, { partitions: 1 })] }, 2));
    expect(shrunk?.condition).toMatchObject({ status: 'False', reason: 'NotSupported' });
    expect(shrunk?.condition.message).toContain('cannot decrease partitions');
    expect(shrunk?.topicsStatus[0]).toMatchObject({ name: topic, partitions: 5, ready: false });
    expect(await partitionsOf(admin, topic)).toBe(5);
  });

  it('a replication-factor change is reported as drift it cannot fix', async () => {
    const topic = `${run}.rf.tasks`;
    await reconcileTopics(cbd('rf', { topics: [tasksTopic(topic)] }));
    const result = await reconcileTopics(
      cbd('rf', { topics: [tasksTopic(topic, { replicationFactor: 3 })] }),
    );
    expect(result?.condition.reason).toBe('NotSupported');
    expect(result?.condition.message).toContain('replicationFactor 1 -> 3');
  });

  it('applies config changes and reverts overrides that are not in the spec', async () => {
    const topic = `${run}.cfg.tasks`;
    const withRetention = (ms: string) =>
      cbd('cfg', { topics: [tasksTopic(topic, { config: { 'retention.ms': ms } })] });
    await reconcileTopics(withRetention('3600000'));
    expect(await overridesOf(admin, topic)).toEqual({ 'retention.ms': '3600000' });

    const changed = await reconcileTopics(withRetention('7200000'));
    expect(changed?.condition.reason).toBe('Ready');
    expect(await overridesOf(admin, topic)).toEqual({ 'retention.ms': '7200000' });

    await reconcileTopics(cbd('cfg', { topics: [tasksTopic(topic, { config: {} })] }));
    expect(await overridesOf(admin, topic)).toEqual({});
  });

  it('a config the broker refuses -> KafkaError with the broker message on that topic', async () => {
    const topic = `${run}.badcfg.tasks`;
    const result = await reconcileTopics(
      cbd('badcfg', { topics: [tasksTopic(topic, { config: { 'cleanup.policy': 'not-a-policy' } })] }),
    );
    expect(result?.condition).toMatchObject({ status: 'False', reason: 'KafkaError' });
    expect(result?.topicsStatus[0]?.ready).toBe(false);
    expect(result?.topicsStatus[0]?.message).toContain('create refused by the broker');
  });

  it('warns when the consumer topic has fewer partitions than maxReplicas (idle workers)', async () => {
    const topic = `${run}.idle.tasks`;
    const result = await reconcileTopics(cbd('idle', { topics: [tasksTopic(topic, { partitions: 2 })] }, 6));
    expect(result?.condition).toMatchObject({ status: 'True', reason: 'PartitionsBelowMaxReplicas' });
    expect(result?.condition.message).toContain('maxReplicas=6');
  });

  it('deletionPolicy Delete: finalizer wanted and topics deleted; Retain: topics kept', async () => {
    const del = cbd('del', { deletionPolicy: 'Delete', topics: [] });
    const keep = cbd('keep', { deletionPolicy: 'Retain', topics: [] });
    await reconcileTopics(del);
    await reconcileTopics(keep);
    [`${run}.keep.events`, `${run}.keep.tasks`].forEach((n) => created.add(n));
    expect(needsTopicFinalizer(del)).toBe(true);
    expect(needsTopicFinalizer(keep)).toBe(false);

    const deleted = await finalizeTopics(del);
    expect(deleted).toMatchObject({ done: true });
    expect(deleted.deleted.sort()).toEqual([`${run}.del.events`, `${run}.del.tasks`]);
    expect(await eventuallyListed(admin, `${run}.del.events`, false)).toBe(true);
    expect(await eventuallyListed(admin, `${run}.del.tasks`, false)).toBe(true);

    const again = await finalizeTopics(del);
    expect(again).toEqual({ done: true, deleted: [] });

    expect(await finalizeTopics(keep)).toEqual({ done: true, deleted: [] });
    expect(await admin.listTopics()).toEqual(
      expect.arrayContaining([`${run}.keep.events`, `${run}.keep.tasks`]),
    );
  });

  it('an unreachable broker -> KafkaUnavailable, env still wired, finalizer kept', async () => {
    const port = await closedPort();
    const cr: DataplaneCbd = {
      metadata: { name: 'down', namespace: run },
      spec: { messaging: { kafka: { bootstrapServers: [`127.0.0.1:${port}`], deletionPolicy: 'Delete' } } },
    };
    const result = await reconcileTopics(cr);
    expect(result?.condition).toMatchObject({ status: 'False', reason: 'KafkaUnavailable' });
    expect(result?.env[0]).toEqual({ name: 'KAFKA_BROKERS', value: `127.0.0.1:${port}` });
    expect(result?.requeueAfterMs).toBe(5_000);
    expect(result?.topicsStatus.every((t) => !t.ready)).toBe(true);

    const fin = await finalizeTopics(cr);
    expect(fin.done).toBe(false);
    expect(fin.condition?.reason).toBe('KafkaUnavailable');
  });

  it('no kafka block -> nothing to do', async () => {
    const cr: DataplaneCbd = { metadata: { name: 'none', namespace: run }, spec: {} };
    expect(await reconcileTopics(cr)).toBeUndefined();
    expect(await finalizeTopics(cr)).toEqual({ done: true, deleted: [] });
  });
});
