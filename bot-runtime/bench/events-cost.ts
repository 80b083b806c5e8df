/**
 * Where a conversation event's CPU goes, stage by stage, each alone (run by hand):
 *   KAFKA_BROKERS=127.0.0.1:19092 tsx bot-runtime/bench/events-cost.ts [--events 100000] [--broker-pid PID]
 * 1. JSON.stringify of one event; 2. the hand-off to a thread (structured clone of a batch of
 * { key, value } per event-loop turn, both sides); 3. kafkajs encoding of produce requests with no
 * broker (a black hole); 4. real sends to the broker (acks=all, idempotent) in batches as the
 * Kafka thread makes them: this process's CPU and the broker's (from /proc: --broker-pid, else the
 * test environment's broker), against the broker's CPU while idle-but-connected for the same time;
 * then the same sends through @platformatic/kafka, interleaved with kafkajs's for --rounds rounds.
 * Prints µs per event.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { ProduceAcks, Producer, stringSerializers } from '@platformatic/kafka';
import { Kafka, logLevel, Partitioners, type PartitionMetadata } from 'kafkajs';
import { cachedDefaultPartitioner } from '../events/cached-partitioner.js';
import type { ConversationEvent } from '../events/conversation-event.js';
import { packEvent } from '../events/event-packing.js';
import type { OutgoingEvent } from '../events/kafka-worker-protocol.js';
import { brokerPid, processMicros } from './cpu.js';
import { createTopic, need, withAdmin } from './support.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    'broker-pid': { type: 'string' },
    tick: { type: 'string', default: '20' },
    batch: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '3' },
  },
});
const N = Number(values.events);
const TICK = Number(values.tick); // events per event-loop turn at the bench's rate and concurrency
const BATCH = Number(values.batch); // events per produce request (what LINGER_MS gathers)
const ROUNDS = Number(values.rounds);
const sessions = Array.from({ length: 200 }, () => randomUUID());

function event(i: number): ConversationEvent {
  return {
    id: randomUUID(),
    type: 'chat.turn',
    at: new Date().toISOString(),
    sessionId: sessions[i % sessions.length]!,
    turn: i,
    userId: undefined,
    modelVersion: 'example-2026-01',
    intent: 'order_status',
    confidence: 0.93,
    source: 'intent',
    latencyMs: 0.412,
  };
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function row(stage: string, micros: number, n = N): void {
  console.log(`| ${stage} | ${(micros / n).toFixed(2)} |`);
}

function stringifyCost(events: ConversationEvent[]): OutgoingEvent[] {
  const t0 = cpuMicros();
  const out = events.map((e) => ({ key: e.sessionId, value: JSON.stringify(e) }));
  row('JSON.stringify + { key, value }', cpuMicros() - t0);
  return out;
}

/** Structured clone per tick: the sending side (this thread) and the receiving one (its ELU). */
async function handOffCost(out: OutgoingEvent[], packed: boolean): Promise<void> {
  const code = `const { parentPort } = require('node:worker_threads');
    const { performance } = require('node:perf_hooks');
    let n = 0; const start = performance.eventLoopUtilization();
    parentPort.on('message', (m) => { n += m.n; if (n >= ${N}) {
      parentPort.postMessage(performance.eventLoopUtilization(start).active * 1000); } });`;
  const worker = new Worker(code, { eval: true });
  await new Promise((r) => worker.once('online', r));
  const done = new Promise<number>((r) => worker.once('message', r));
  const wall0 = performance.now();
  for (let i = 0; i < out.length; i += TICK) {
    const events = out.slice(i, i + TICK);
    if (!packed) worker.postMessage({ events, n: events.length });
    else
      worker.postMessage({ packed: events.map((e) => packEvent(e.key, e.value)).join(''), n: events.length });
  }
  const sent = performance.now() - wall0;
  const receiverMicros = await done;
  const how = packed ? 'one packed string' : '{ key, value } objects';
  row(`postMessage of ${how}, ${TICK} events a turn: sender (wall)`, sent * 1000);
  row('  receiver (its event-loop busy time, before unpacking)', receiverMicros);
  await worker.terminate();
}

/** kafkajs's produce-request encoding with no broker: partitioning, records, batch, CRC32C. */
async function encodeCost(out: OutgoingEvent[], cached: boolean): Promise<void> {
  const require = createRequire(import.meta.url);
  const produce = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (a: unknown) => {
    encode(): Promise<{ buffer: Buffer }>;
  };
  const partitioner = (cached ? cachedDefaultPartitioner : Partitioners.DefaultPartitioner)();
  const partitionMetadata = [0, 1, 2].map((p) => ({ partitionId: p, leader: 0 }) as PartitionMetadata);
  const t0 = cpuMicros();
  for (let i = 0; i < out.length; i += BATCH) {
    const byPartition = new Map<number, OutgoingEvent[]>();
    for (const m of out.slice(i, i + BATCH)) {
      const p = partitioner({ topic: 't', partitionMetadata, message: m });
      const list = byPartition.get(p) ?? [];
      list.push(m);
      byPartition.set(p, list);
    }
    const partitions = [...byPartition].map(([partition, messages]) => ({ partition, messages }));
    const req = produce({ acks: -1, timeout: 30000, topicData: [{ topic: 't', partitions }] });
    await req.encode();
  }
  const how = cached ? 'murmur2 once per key' : 'murmur2 per message';
  row(`kafkajs partition + encode (no broker), ${BATCH} a request, ${how}`, cpuMicros() - t0, out.length);
}

/** A producer under test: one produce request (acks=all, idempotent) per call, and its close. */
interface BenchProducer {
  name: string;
  send(messages: OutgoingEvent[]): Promise<unknown>;
  close(): Promise<void>;
}

async function kafkajsProducer(brokers: string, topic: string, cached: boolean): Promise<BenchProducer> {
  const producer = new Kafka({
    clientId: 'bench-cost',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  }).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: cached ? cachedDefaultPartitioner : Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  return {
    name: `kafkajs, murmur2 ${cached ? 'once per key' : 'per message'}`,
    send: (messages) => producer.send({ topic, acks: -1, messages }),
    close: () => producer.disconnect(),
  };
}

/**
 * @platformatic/kafka, the alternative issue 19 names: same broker, same batches, same acks and
 * idempotence, its default partitioner (murmur2 of the key, the same partitions as kafkajs's).
 */
function platformaticProducer(brokers: string, topic: string): BenchProducer {
  const producer = new Producer({
    clientId: 'bench-cost-platformatic',
    bootstrapBrokers: brokers.split(','),
    serializers: stringSerializers,
    idempotent: true,
    acks: ProduceAcks.ALL,
  });
  return {
    name: '@platformatic/kafka',
    send: (messages) =>
      producer.send({ messages: messages.map((m) => ({ topic, key: m.key, value: m.value })) }),
    close: () => producer.close(),
  };
}

/** Real sends in batches as the Kafka thread makes them: this process's CPU and the broker's. */
async function sendCost(
  out: OutgoingEvent[],
  producer: BenchProducer,
  pid: number | undefined,
): Promise<void> {
  await producer.send(out.slice(0, 10)); // connected, producer id and metadata fetched
  const t0 = cpuMicros();
  const b0 = processMicros(pid);
  const wall0 = performance.now();
  for (let i = 0; i < out.length; i += BATCH) await producer.send(out.slice(i, i + BATCH));
  const wall = performance.now() - wall0;
  row(`${producer.name}: send to the broker, ${BATCH} a request: this process`, cpuMicros() - t0);
  row('  the broker, sending', processMicros(pid) - b0);
  const b1 = processMicros(pid);
  await new Promise((r) => setTimeout(r, wall));
  row('  the broker, idle-but-connected for as long', processMicros(pid) - b1);
  console.log(`(sending took ${wall.toFixed(0)} ms: ${Math.round((N / wall) * 1000)} events/s)`);
  await producer.close();
}

/** The clients side by side on one topic, interleaved, ROUNDS times: this machine is noisy. */
async function sendCosts(out: OutgoingEvent[], brokers: string, pid: number | undefined): Promise<void> {
  const topic = `bench-cost-${Date.now().toString(36)}`;
  await createTopic(brokers, topic);
  await sendCost(out, await kafkajsProducer(brokers, topic, false), pid);
  for (let round = 0; round < ROUNDS; round++) {
    await sendCost(out, await kafkajsProducer(brokers, topic, true), pid);
    await sendCost(out, platformaticProducer(brokers, topic), pid);
  }
  await withAdmin(brokers, (a) => a.deleteTopics({ topics: [topic] }));
}

async function main(): Promise<void> {
  const brokers = need('KAFKA_BROKERS');
  console.log(`${N} events\n\n| stage | µs per event |\n|---|---|`);
  const events = Array.from({ length: N }, (_, i) => event(i));
  stringifyCost(events.slice(0, 5000)); // warm-up
  const out = stringifyCost(events);
  for (const packed of [false, true, false, true]) await handOffCost(out, packed);
  for (const cached of [false, true, false, true]) await encodeCost(out.slice(0, 20_000), cached);
  const broker = values['broker-pid'] ? Number(values['broker-pid']) : brokerPid();
  await sendCosts(out, brokers, broker);
}

await main();
