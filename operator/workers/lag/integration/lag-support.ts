// Shared setup of the lag reader's integration tests on the real broker: a run-unique fleet (so its
// worker group and topics are this run's alone), a plain kafkajs client for producing and consuming,
// the operator's own admin pool, and cleanup of every topic and group a test made.
import kafkajs from 'kafkajs';
import type { Admin, Consumer, Kafka as KafkaClient } from 'kafkajs';
import { requireKafkaBrokers } from '../../../integration/support.js';
import { kafkaAdminFactory } from '../../../dataplane/kafka/admin-client.js';
import { KafkaAdminPool } from '../../../dataplane/kafka/admin-pool.js';
import { workerGroupId } from '../../names.js';

const { Kafka, logLevel } = kafkajs;

export const brokers = requireKafkaBrokers();
export const run = `lag-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

/** A fleet as the reader sees it: its metadata names the worker group. */
export function fleet(name: string): { metadata: { namespace: string; name: string } } {
  return { metadata: { namespace: 'lagtest', name: `${run}-${name}` } };
}

export function tasksTopic(name: string): string {
  const { namespace, name: fleetName } = fleet(name).metadata;
  return `${namespace}.${fleetName}.tasks`;
}

export interface LagEnv {
  kafka: KafkaClient;
  admin: Admin;
  pool: KafkaAdminPool;
  topics: Set<string>;
  groups: Set<string>;
}

/**
 * On a broker just started, the first group request finds no coordinator (__consumer_offsets is being
 * created), and a read then is rightly unavailable: wait, bounded, until a group lookup answers.
 */
async function groupCoordinatorReady(admin: Admin): Promise<void> {
  const until = Date.now() + 30_000;
  for (;;) {
    try {
      await admin.describeGroups([`${run}-probe`]);
      return;
    } catch (err: unknown) {
      if (Date.now() > until) throw new Error('no group coordinator within 30 s', { cause: err });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

export async function lagEnv(): Promise<LagEnv> {
  const kafka = new Kafka({ clientId: run, brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await groupCoordinatorReady(admin);
  const pool = new KafkaAdminPool({ createAdmin: kafkaAdminFactory({ clientId: run }), sweepEveryMs: 0 });
  return { kafka, admin, pool, topics: new Set(), groups: new Set() };
}

export async function createTopic(env: LagEnv, topic: string, partitions: number): Promise<void> {
  env.topics.add(topic);
  await env.admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions }] });
}

/** `perPartition` messages on each partition (explicitly placed, so the counts are exact). */
export async function produce(env: LagEnv, topic: string, partitions: number, perPartition: number) {
  const producer = env.kafka.producer();
  await producer.connect();
  for (let partition = 0; partition < partitions; partition++) {
    const messages = Array.from({ length: perPartition }, (_, i) => ({ value: `task-${partition}-${i}` }));
    await producer.send({ topic, messages: messages.map((m) => ({ ...m, partition })) });
  }
  await producer.disconnect();
}

/**
 * A real consumer in the fleet's worker group that reads the topic from the start and commits, one by
 * one, the first `commits` messages it processes (all when undefined), then leaves the group once it
 * has seen `expect` messages. Per partition messages come in order, so the committed offsets cover
 * exactly `commits` messages whichever partitions they came from.
 */
export async function consumeAndCommit(
  env: LagEnv,
  group: string,
  topic: string,
  opts: { expect: number; commits?: number },
): Promise<number> {
  env.groups.add(group);
  const consumer: Consumer = env.kafka.consumer({ groupId: group, retry: { retries: 2 } });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let committed = 0;
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        seen += 1;
        if (opts.commits === undefined || committed < opts.commits) {
          committed += 1;
          const offset = String(Number(message.offset) + 1);
          await consumer.commitOffsets([{ topic, partition, offset }]);
        }
        if (seen >= opts.expect) resolve();
      },
    });
  });
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(
      () => reject(new Error(`consumer saw ${seen}/${opts.expect} messages in 60 s`)),
      60_000,
    ).unref(),
  );
  try {
    await Promise.race([done, timeout]);
  } finally {
    await consumer.disconnect();
  }
  return committed;
}

export function groupOf(name: string): string {
  return workerGroupId(fleet(name));
}

/** Deletes this run's groups (after their consumers left) and topics, and closes every client. */
export async function cleanUp(env: LagEnv): Promise<void> {
  const groups = [...env.groups];
  if (groups.length > 0) await env.admin.deleteGroups(groups).catch(() => undefined);
  const existing = new Set(await env.admin.listTopics());
  const topics = [...env.topics].filter((t) => existing.has(t));
  if (topics.length > 0) await env.admin.deleteTopics({ topics });
  await env.admin.disconnect();
  await env.pool.close();
}
