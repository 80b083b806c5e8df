import Fastify from 'fastify';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import type { Logger } from 'pino';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { normalise } from '../classifier/normalise.js';
import type { Config } from '../config.js';
import { describeKafkaAuthFailure, kafkaConnectionOptions } from '../events/kafka-connection.js';
import { kafkaLogCreator } from '../events/kafka-logging.js';
import { connectRedis, createRedisClient, type RedisClient } from '../redis/redis-client.js';
import { FleetKeys, isValidSessionId } from '../sessions/keys.js';
import { parseTask, type Task } from './tasks.js';

const DONE_TTL_SECONDS = 7 * 24 * 3600;

export interface RunningWorker {
  url: string;
  shutdown: (signal: string) => Promise<void>;
}

/** Applies one task. Both task types are idempotent in themselves; the done-marker skips repeats. */
export async function applyTask(
  redis: RedisClient,
  keys: FleetKeys,
  task: Task,
): Promise<'done' | 'duplicate'> {
  const doneKey = keys.taskDone(task.id);
  if ((await redis.exists(doneKey)) === 1) return 'duplicate';
  if (task.type === 'cache.put') {
    const key = keys.answer(task.modelVersion, normalise(task.question));
    await redis.set(key, task.answer, 'EX', task.ttlSeconds ?? 3600);
  } else if (isValidSessionId(task.sessionId)) {
    const k = keys.session(task.sessionId);
    await redis.del(k.turns, k.seq, k.pin, k.owner); // same hash tag: one slot, legal in Cluster
  }
  await redis.set(doneKey, '1', 'EX', DONE_TTL_SECONDS);
  return 'done';
}

/**
 * `npm run bot -- worker`: consumes KAFKA_TASKS_TOPIC in a consumer group, at least once (offsets
 * are committed after a task is applied) and idempotently (done-markers in Redis). It runs as its
 * own process (its own Deployment), so background work never competes with live chat for a chat
 * pod's event loop; one partition at a time keeps its own footprint small.
 */
export async function startWorker(config: Config, log: Logger): Promise<RunningWorker> {
  if (!config.kafka) throw new Error('the worker needs KAFKA_BROKERS');
  if (!config.redis) throw new Error('the worker needs REDIS_URL or REDIS_CLUSTER_NODES');
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const tasks = new Counter({
    name: 'chatfleet_worker_tasks_total',
    help: 'Background tasks by result (done, duplicate, invalid, failed).',
    labelNames: ['result'],
    registers: [registry],
  });
  const redis = createRedisClient(config.redis, { commandTimeoutMs: 2000 });
  const keys = new FleetKeys(config.rollout.fleetId);
  if (!(await connectRedis(redis, 10_000))) log.warn('redis not reachable yet');
  const connection = kafkaConnectionOptions(config.kafka.credentials);
  const kafka = new Kafka({
    clientId: `${config.kafka.clientId}-worker`,
    brokers: config.kafka.brokers,
    ...connection,
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(log.child({ component: 'kafka-consumer' })),
  });
  const consumer: Consumer = kafka.consumer({ groupId: config.kafka.tasksGroupId });
  await consumer.connect().catch((err: unknown) => {
    redis.disconnect(); // the worker does not start: release what it opened
    const auth = describeKafkaAuthFailure(err, connection.sasl);
    throw auth ? new Error(`Kafka ${config.kafka?.brokers.join(',')}: ${auth}`, { cause: err }) : err;
  });
  await consumer.subscribe({ topic: config.kafka.tasksTopic, fromBeginning: true });
  let invalid = 0;
  await consumer.run({
    partitionsConsumedConcurrently: 1,
    eachMessage: async ({ message, partition }) => {
      const parsed = parseTask(message.value);
      if (!parsed.ok) {
        tasks.inc({ result: 'invalid' });
        // Counted always; logged for the first and every 1000th, so a wrong topic cannot flood the log.
        if (invalid++ % 1000 === 0) {
          log.warn(
            { partition, offset: message.offset, reason: parsed.reason, invalid },
            'skipping invalid task',
          );
        }
        return;
      }
      try {
        tasks.inc({ result: await applyTask(redis, keys, parsed.task) });
      } catch (err) {
        tasks.inc({ result: 'failed' });
        throw new Error(`task ${parsed.task.id} failed`, { cause: err }); // kafkajs retries; offset not committed
      }
    },
  });
  const http = Fastify({ logger: false });
  http.get('/healthz', () => ({ status: 'ok' }));
  http.get('/metrics', async (_req, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  const url = await http.listen({ port: config.workerPort, host: config.host });
  log.info({ url, topic: config.kafka.tasksTopic, group: config.kafka.tasksGroupId }, 'worker running');
  return {
    url,
    shutdown: async () => {
      await consumer.disconnect();
      await http.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
