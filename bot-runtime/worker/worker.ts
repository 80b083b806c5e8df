import type { Consumer, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { OpenAiCompatibleLlm } from '../answer/llm-client.js';
import type { Config } from '../config.js';
import {
  describeKafkaAuthFailure,
  kafkaConnectionOptions,
  runtimeKafka,
} from '../events/kafka-connection.js';
import { createLlmMetrics } from '../metrics.js';
import { connectRedis, createRedisClient, type RedisClient } from '../redis/redis-client.js';
import { FleetKeys } from '../sessions/keys.js';
import { MAX_CACHED_ANSWER_BYTES } from '../tasks/task.js';
import { SummaryStore } from '../sessions/summary-store.js';
import type { TaskEffects } from './apply.js';
import { deadLetterMessage, type DeadLetter, type SourceMessage } from './dlq.js';
import { startHealthServer, type Readiness } from './health.js';
import { createWorkerMetrics } from './metrics.js';
import type { RetryPolicy } from './retry.js';
import { batchHandler, type RunnerDeps } from './runner.js';
import { Slots } from './slots.js';

/** How often a batch commits the offsets of its finished tasks while others still run. */
const COMMIT_INTERVAL_MS = 1000;

export interface RunningWorker {
  url: string;
  shutdown: (signal: string) => Promise<void>;
}

function effects(config: Config, redis: RedisClient, registry: Registry): TaskEffects {
  const fleetId = config.rollout.fleetId;
  return {
    redis,
    keys: new FleetKeys(fleetId),
    summaries: new SummaryStore(redis, fleetId, { ttlSeconds: config.sessionTtlSeconds, opTimeoutMs: 2000 }),
    llm: config.llm && new OpenAiCompatibleLlm(config.llm, createLlmMetrics([registry])),
    webhooks: new Map(config.worker.webhooks.map((h) => [h.name, h])),
    now: Date.now,
  };
}

function retryPolicy(config: Config): RunnerDeps['policy'] {
  const w = config.worker;
  const base: RetryPolicy = {
    maxAttempts: w.maxAttempts,
    baseDelayMs: w.retryBaseDelayMs,
    maxDelayMs: w.retryMaxDelayMs,
  };
  const hooks = new Map(w.webhooks.map((h) => [h.name, h.maxAttempts]));
  return (task) =>
    task.type === 'webhook' ? { ...base, maxAttempts: hooks.get(task.webhook) ?? base.maxAttempts } : base;
}

function deadLetterer(producer: Producer, topic: string): RunnerDeps['deadLetter'] {
  return async (source: SourceMessage, letter: DeadLetter) => {
    await producer.send({ topic, acks: -1, messages: [deadLetterMessage(source, letter, Date.now())] });
  };
}

async function connectOrRelease(
  consumer: Consumer,
  producer: Producer,
  redis: RedisClient,
  describe: (e: unknown) => Error,
): Promise<void> {
  try {
    await consumer.connect();
    await producer.connect();
  } catch (err) {
    await release(consumer, producer, redis);
    throw describe(err);
  }
}

/** The worker does not start: release what it opened, so nothing consumes or holds a socket. */
async function release(consumer: Consumer, producer: Producer, redis: RedisClient): Promise<void> {
  redis.disconnect();
  await consumer.disconnect().catch(() => undefined);
  await producer.disconnect().catch(() => undefined);
}

async function consume(consumer: Consumer, config: Config, deps: RunnerDeps): Promise<void> {
  await consumer.subscribe({ topic: config.kafka!.tasksTopic, fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: config.worker.concurrency,
    eachBatchAutoResolve: false,
    autoCommitInterval: COMMIT_INTERVAL_MS, // else commitOffsetsIfNecessary is a no-op mid-batch
    eachBatch: batchHandler(deps, new Slots(config.worker.concurrency)),
  });
}

/**
 * `npm run bot -- worker` (docs/tasks.md): consumes KAFKA_TASKS_TOPIC in a consumer group with up
 * to WORKER_CONCURRENCY tasks in flight, at least once (a partition's offset moves only past
 * finished tasks) and idempotently by task id; a task that keeps failing, or cannot be parsed,
 * goes to KAFKA_DLQ_TOPIC. It runs as its own Deployment: chat pods never run tasks.
 */
export async function startWorker(config: Config, log: Logger): Promise<RunningWorker> {
  const kc = config.kafka;
  if (!kc) throw new Error('the worker needs KAFKA_BROKERS');
  if (!config.redis) throw new Error('the worker needs REDIS_URL or REDIS_CLUSTER_NODES');
  const registry = new Registry();
  // Node's own (event-loop lag, heap) and the worker's; the LLM client's when an LLM is set. Not the
  // chat server's turn metrics: a worker pod serves no turns, and empty series would mislead.
  collectDefaultMetrics({ register: registry });
  const metrics = createWorkerMetrics(registry);
  const redis = createRedisClient(config.redis, { commandTimeoutMs: 2000 });
  if (!(await connectRedis(redis, 10_000))) log.warn('redis not reachable yet');
  const kafka = runtimeKafka(kc, 'worker', log);
  const sasl = kafkaConnectionOptions(kc.credentials).sasl; // to name the user when the broker refuses it
  const consumer = kafka.consumer({
    groupId: kc.tasksGroupId,
    sessionTimeout: config.worker.sessionTimeoutMs,
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const readiness: Readiness = { joined: false, redis };
  consumer.on(consumer.events.GROUP_JOIN, () => (readiness.joined = true));
  consumer.on(consumer.events.CRASH, () => (readiness.joined = false));
  consumer.on(consumer.events.STOP, () => (readiness.joined = false));
  await connectOrRelease(consumer, producer, redis, (err) => {
    const auth = describeKafkaAuthFailure(err, sasl);
    return auth ? new Error(`Kafka ${kc.brokers.join(',')}: ${auth}`, { cause: err }) : (err as Error);
  });
  const dlqTopic = config.worker.dlqTopic ?? `${kc.tasksTopic}.dlq`;
  const deps: RunnerDeps = {
    fx: effects(config, redis, registry),
    metrics,
    log,
    policy: retryPolicy(config),
    deadLetter: deadLetterer(producer, dlqTopic),
    limits: { maxQuestionBytes: config.maxMessageBytes, maxAnswerBytes: MAX_CACHED_ANSWER_BYTES },
    random: Math.random,
    now: Date.now,
  };
  let http: Awaited<ReturnType<typeof startHealthServer>>;
  try {
    await consume(consumer, config, deps);
    http = await startHealthServer(config, registry, readiness);
  } catch (err) {
    await release(consumer, producer, redis); // e.g. WORKER_PORT taken: no half-started worker
    throw err;
  }
  log.info(
    {
      url: http.url,
      topic: kc.tasksTopic,
      group: kc.tasksGroupId,
      dlqTopic,
      concurrency: config.worker.concurrency,
    },
    'worker running',
  );
  return {
    url: http.url,
    shutdown: async () => {
      await consumer.disconnect();
      await producer.disconnect();
      await http.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
