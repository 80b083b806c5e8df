import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { ROOT, need, startServer, stop, withAdmin } from './support.js';

/**
 * Tasks/s of one worker process against the real broker and Redis (`tsx bot-runtime/bench/worker.ts
 * --tasks 20000 --concurrency 4 --type cache.put --runs 3`): the tasks are produced first, then a
 * worker child process starts, and the rate is counted from its first finished task to its last
 * (group join excluded). `--type webhook` POSTs each to a loopback receiver answering 200.
 */
const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '4' },
    type: { type: 'string', default: 'cache.put' },
    runs: { type: 'string', default: '3' },
    partitions: { type: 'string', default: '4' },
  },
});
const TASKS = Number(values.tasks);
const brokers = need('KAFKA_BROKERS');

function task(i: number, run: string, type: string): string {
  if (type === 'webhook') {
    return JSON.stringify({
      id: `${run}-${i}`,
      type,
      webhook: 'bench',
      sessionId: `s${i % 500}`,
      intent: 'x',
      turn: i,
    });
  }
  return JSON.stringify({
    id: `${run}-${i}`,
    type,
    modelVersion: run,
    question: `question ${i}`,
    answer: 'a',
  });
}

async function produce(topic: string, run: string, type: string): Promise<void> {
  const producer = new Kafka({
    clientId: 'bench-worker',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  }).producer();
  await producer.connect();
  for (let i = 0; i < TASKS; i += 1000) {
    const messages = Array.from({ length: Math.min(1000, TASKS - i) }, (_, j) => ({
      key: `k${(i + j) % 997}`,
      value: task(i + j, run, type),
    }));
    await producer.send({ topic, messages });
  }
  await producer.disconnect();
}

async function finished(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(
    /^chatfleet_worker_tasks_total\{[^}]*result="(done|duplicate|dead_lettered)"\} (\d+)/gm,
  )) {
    sum += Number(m[2]);
  }
  return sum;
}

async function oneRun(n: number, hookUrl: string): Promise<number> {
  const run = `bench-${Date.now().toString(36)}-${n}`;
  const topic = `${run}.tasks`;
  await withAdmin(brokers, (a) =>
    a.createTopics({
      topics: [topic, `${topic}.dlq`].map((t) => ({
        topic: t,
        numPartitions: Number(values.partitions),
        replicationFactor: 1,
      })),
      waitForLeaders: true,
    }),
  );
  await produce(topic, run, values.type);
  const worker = await startServer(`${ROOT}bot-runtime/main.ts`, ['worker'], {
    REDIS_URL: need('REDIS_URL'),
    REDIS_CLUSTER_NODES: '',
    KAFKA_BROKERS: brokers,
    KAFKA_TASKS_TOPIC: topic,
    KAFKA_TASKS_GROUP: `${topic}-group`,
    FLEET_ID: `bench/${run}`,
    WORKER_CONCURRENCY: values.concurrency,
    WORKER_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    WORKER_WEBHOOKS: JSON.stringify([{ name: 'bench', url: hookUrl }]),
    WEBHOOK_SECRET_BENCH: 'bench-secret',
  });
  let first = 0;
  let firstAt = 0;
  let lastAt = 0;
  const deadline = Date.now() + 600_000;
  while (Date.now() < deadline) {
    const done = await finished(worker.url);
    if (done > 0 && firstAt === 0) [first, firstAt] = [done, performance.now()];
    if (done >= TASKS) {
      lastAt = performance.now();
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop(worker);
  await withAdmin(brokers, (a) => a.deleteTopics({ topics: [topic, `${topic}.dlq`] })).catch(() => undefined);
  if (lastAt === 0) throw new Error('the worker did not finish in time');
  return (TASKS - first) / ((lastAt - firstAt) / 1000);
}

async function main(): Promise<void> {
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
  const rates: number[] = [];
  for (let n = 0; n < Number(values.runs); n++) {
    const rate = await oneRun(n, hookUrl);
    rates.push(rate);
    console.log(
      `run ${n + 1}: ${rate.toFixed(0)} tasks/s (${TASKS} ${values.type}, concurrency ${values.concurrency})`,
    );
  }
  receiver.close();
  console.log(
    `range ${Math.min(...rates).toFixed(0)}..${Math.max(...rates).toFixed(0)} tasks/s per worker process`,
  );
}

await main();
