import { Kafka, logLevel } from 'kafkajs';
import { requireEnv } from './env.js';

export function kafkaClient(clientId: string): Kafka {
  return new Kafka({ clientId, brokers: requireEnv('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });
}

export async function createTopic(topic: string, partitions = 3): Promise<void> {
  const admin = kafkaClient('cf-test-admin').admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopic(topic: string): Promise<void> {
  const admin = kafkaClient('cf-test-admin').admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [topic] });
  } finally {
    await admin.disconnect();
  }
}

/** Reads a topic from the beginning in a fresh consumer group until `done(values)` or the timeout. */
export async function consumeUntil(
  topic: string,
  done: (values: string[]) => boolean,
  timeoutMs: number,
): Promise<string[]> {
  const consumer = kafkaClient('cf-test-consumer').consumer({ groupId: `${topic}-reader-${Date.now()}` });
  const values: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let finished!: () => void;
  const finishedP = new Promise<void>((r) => (finished = r));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) values.push(m.value?.toString('utf8') ?? '');
      if (done(values)) finished();
      await Promise.resolve();
    },
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)));
  await Promise.race([finishedP, timeout]);
  clearTimeout(timer);
  await consumer.disconnect();
  return values;
}
