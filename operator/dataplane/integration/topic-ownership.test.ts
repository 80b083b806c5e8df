/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment --
   These tests inspect raw Kubernetes JSON (kubectl -o json); typing every field would add nothing. */
/**
 * Topic ownership, end to end (deletions that finish: topic-deletion.test.ts): the operator in-process with the
 * KafkaTopicsComponent, the REAL API server of the test environment and its REAL Kafka broker.
 * - a pre-existing topic with data and its own retention, named by a CR with deletionPolicy Delete:
 *   TopicNotOwned, never changed, and deleting the CR leaves topic, config and messages intact;
 * - two CRs naming one topic: TopicConflict naming the owner; adopt after the owner is gone;
 * - a CR whose broker became unreachable is deleted: the finalizer is released within the
 *   configured bound (--topic-deletion-timeout-seconds=20) with a Warning naming the topics;
 * - topics are created only once the finalizer is stored.
 * Claims live in the test namespace (--topic-ownership-namespace defaults to the Lease namespace).
 */
import { describe, expect, it } from '@jest/globals';
import kafkajs from 'kafkajs';
import { condition, getCr, kubectl, waitFor } from '../../integration/support.js';
import { TOPIC_FINALIZER } from '../index.js';
import { overridesOf, partitionsOf } from './kafka-support.js';
import {
  applyUntil,
  brokers,
  claimedTopics,
  crGone,
  eventField,
  messagesIn,
  ownershipOperator,
} from './topic-ownership-support.js';

const { Kafka, logLevel } = kafkajs;

describe('Kafka topic ownership (operator, real broker)', () => {
  const t = ownershipOperator('cf-own');

  it('a pre-existing topic with data and its own retention survives a CR that names it with deletionPolicy Delete', async () => {
    const topic = `${t.ns}.orders`;
    t.leftoverTopics.add(topic);
    await t.admin.createTopics({
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
    expect(await messagesIn(t.admin, topic)).toBe(10);
    const before = await overridesOf(t.admin, topic);
    expect(before).toEqual({ 'retention.ms': '123456789', 'cleanup.policy': 'compact' });

    // The CR asks for more partitions and other configs: none of it may reach the topic.
    const notOwned = await applyUntil(
      t.ns,
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
    const cbd = await getCr(t.ns, 'taker');
    expect(cbd.metadata.finalizers).toContain(TOPIC_FINALIZER);
    expect(cbd.status.topics).toEqual([
      expect.objectContaining({ name: topic, partitions: 2, ready: false }),
    ]);
    expect(await partitionsOf(t.admin, topic)).toBe(2);
    expect(await overridesOf(t.admin, topic)).toEqual(before);
    expect(await claimedTopics(t.ns)).not.toContain(topic);

    await kubectl(['-n', t.ns, 'delete', 'cbd', 'taker', '--wait=false']);
    await waitFor('CR taker gone', async () => crGone(t.ns, 'taker'), 30_000);
    // Deletion is asynchronous on the broker: give a wrong delete time to show before checking.
    await new Promise((r) => setTimeout(r, 2000));
    expect(await partitionsOf(t.admin, topic)).toBe(2);
    expect(await overridesOf(t.admin, topic)).toEqual(before);
    expect(await messagesIn(t.admin, topic)).toBe(10);
    expect(await eventField(t.ns, 'taker', 'TopicsRetained')).toContain(topic);
  });

  it('two CRs naming one topic: TopicConflict naming the owner; once it is gone, adopt takes the topic over', async () => {
    const topic = `${t.ns}.shared`;
    t.leftoverTopics.add(topic);
    const kafka = (over: Record<string, unknown> = {}, topicOver: Record<string, unknown> = {}) => ({
      scaling: { minReplicas: 1, maxReplicas: 1 },
      messaging: {
        kafka: { bootstrapServers: brokers, topics: [{ name: topic, partitions: 2, ...topicOver }], ...over },
      },
    });
    await applyUntil(t.ns, 'first', kafka(), 'Ready');
    expect(await partitionsOf(t.admin, topic)).toBe(2);

    const conflict = await applyUntil(
      t.ns,
      'second',
      kafka({ deletionPolicy: 'Delete' }, { partitions: 4, config: { 'retention.ms': '60000' } }),
      'TopicConflict',
    );
    expect(conflict.message).toContain(`owned by ChatbotDeployment ${t.ns}/first`);
    // Adopting does not beat an owner that still declares it.
    await applyUntil(
      t.ns,
      'second',
      kafka({ deletionPolicy: 'Delete' }, { partitions: 4, adopt: true }),
      'TopicConflict',
    );
    expect(await partitionsOf(t.admin, topic)).toBe(2);
    expect(await overridesOf(t.admin, topic)).toEqual({});
    expect(condition(await getCr(t.ns, 'first'), 'TopicsReady')?.reason).toBe('Ready');

    // The owner goes with Retain: the topic stays and is nobody's until adopted.
    await kubectl(['-n', t.ns, 'delete', 'cbd', 'first', '--wait=true', '--timeout=60s']);
    const stale = await applyUntil(
      t.ns,
      'second',
      kafka({ deletionPolicy: 'Delete' }, { partitions: 4, config: { 'retention.ms': '60000' } }),
      'TopicNotOwned',
    );
    expect(stale.message).toContain(
      `created by ChatbotDeployment ${t.ns}/first, which no longer declares it`,
    );
    expect(await partitionsOf(t.admin, topic)).toBe(2);

    await applyUntil(
      t.ns,
      'second',
      kafka(
        { deletionPolicy: 'Delete' },
        { partitions: 4, config: { 'retention.ms': '60000' }, adopt: true },
      ),
      'Ready',
    );
    expect(await partitionsOf(t.admin, topic)).toBe(4);
    expect(await overridesOf(t.admin, topic)).toEqual({ 'retention.ms': '60000' });

    // Adopted with deletionPolicy Delete: deleting the CR deletes the topic and its claim.
    await kubectl(['-n', t.ns, 'delete', 'cbd', 'second', '--wait=false']);
    await waitFor('CR second gone', async () => crGone(t.ns, 'second'), 60_000);
    await waitFor('topic deleted', async () => !(await t.admin.listTopics()).includes(topic), 30_000);
    expect(await claimedTopics(t.ns)).not.toContain(topic);
    expect(await eventField(t.ns, 'second', 'TopicsDeleted')).toContain(topic);
  }, 300_000);
});
