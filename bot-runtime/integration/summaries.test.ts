import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { loadConfig } from '../config.js';
import { FleetKeys } from '../sessions/keys.js';
import { SessionStore } from '../sessions/session-store.js';
import { SummaryStore } from '../sessions/summary-store.js';
import { startWorker, type RunningWorker } from '../worker/worker.js';
import { requireEnv, runId } from './support/env.js';
import { createTopic, deleteTopic } from './support/kafka.js';
import { Conversation, startRuntime, type Runtime } from './support/runtime.js';
import { startSizedLlm, type SizedLlm } from './support/sized-llm.js';
import { llmTurn, waitFor } from './support/worker.js';

describe('a summary written while new turns arrive', () => {
  let redis: Redis;
  const fleetId = `test/${runId('sum-race')}`;

  beforeAll(async () => {
    redis = new Redis(requireEnv('REDIS_URL'));
    await redis.ping();
  });
  afterAll(() => redis?.disconnect());

  it('keeps every turn, and a stale writer cannot overwrite the newer summary', async () => {
    const sessions = new SessionStore(redis, { ttlSeconds: 600, maxTurns: 100, fleetId });
    const summaries = new SummaryStore(redis, fleetId, { ttlSeconds: 600, opTimeoutMs: 2000 });
    const id = runId('s');
    for (let i = 1; i <= 10; i++) await sessions.appendTurn({ id, owner: '-', isNew: i === 1 }, llmTurn(i));
    const source = await summaries.source(id); // what the worker summarises
    expect(source?.turns.map((t) => t.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // turns 11..15 arrive while the LLM writes the summary, from "other pods", concurrently
    await Promise.all(
      [11, 12, 13, 14, 15].map((i) => sessions.appendTurn({ id, owner: '-', isNew: false }, llmTurn(i))),
    );
    const write = { text: 'first ten', through: 10, expectedThrough: source!.through, taskId: 't10' };
    expect(await summaries.write(id, write)).toBe('done');
    expect(await summaries.write(id, write)).toBe('duplicate'); // a redelivery
    expect(await summaries.write(id, { ...write, text: 'stale', through: 15, expectedThrough: 0 })).toBe(
      'conflict',
    );

    const view = await sessions.view({ id, owner: '-', isNew: false });
    expect(view?.turns.map((t) => t.seq)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(view?.turns.map((t) => t.message)).toEqual(Array.from({ length: 15 }, (_, i) => `q${i + 1}`));
    expect(view?.summary).toEqual({ text: 'first ten', through: 10 });
    const k = new FleetKeys(fleetId).session(id);
    expect(await redis.ttl(k.summary)).toBeGreaterThan(0); // expires with the session
  });
});

interface Measured {
  promptBytes: number[];
  latencyMs: number[];
}

async function converse(rt: Runtime, llm: SizedLlm, turns: number): Promise<Measured & { id: string }> {
  const c = new Conversation(rt.url);
  const tag = runId('c'); // the first turn's answer is cached: each conversation asks its own questions
  const latencyMs: number[] = [];
  const before = llm.chatPrompts.length;
  for (let i = 1; i <= turns; i++) {
    const started = performance.now();
    const res = await c.say(
      `${tag} question ${i}: explain quantum chromodynamics on lattice ${i * 7} in some detail`,
    );
    latencyMs.push(performance.now() - started);
    expect(res.status).toBe(200);
    expect(res.body.source).toBe('llm');
  }
  return { id: c.id, latencyMs, promptBytes: llm.chatPrompts.slice(before) };
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/**
 * 40 turns through the real runtime, Kafka and a worker, with an LLM stub whose latency grows with
 * the prompt (20 ms + 20 ms per KiB, like a model's prefill), without and with summaries.
 */
describe('conversation summaries end to end', () => {
  const topic = runId('cf-sum');
  const fleetId = `test/${runId('sum')}`;
  let llm: SizedLlm;
  let plain: Runtime;
  let summarised: Runtime;
  let worker: RunningWorker;
  const base = (): Record<string, string> => ({
    REDIS_URL: requireEnv('REDIS_URL'),
    FLEET_ID: fleetId,
    KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
    KAFKA_TASKS_TOPIC: topic,
    KAFKA_TASKS_GROUP: `${topic}-group`,
    LLM_ENDPOINT: llm.url,
    LLM_TIMEOUT_MS: '10000',
    SESSION_MAX_TURNS: '50',
  });

  beforeAll(async () => {
    await createTopic(topic, 2);
    await createTopic(`${topic}.dlq`, 1);
    llm = await startSizedLlm(20, 20);
    plain = await startRuntime(base());
    summarised = await startRuntime({ ...base(), SUMMARIZE_AFTER_TURNS: '10' });
    const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
    worker = await startWorker(loadConfig({ ...base(), WORKER_PORT: '0', HOST: '127.0.0.1' }), log);
  });
  afterAll(async () => {
    await worker?.shutdown('test');
    await plain?.close();
    await summarised?.close();
    await llm?.close();
    await deleteTopic(topic).catch(() => undefined);
    await deleteTopic(`${topic}.dlq`).catch(() => undefined);
  });

  it('keeps the prompt bounded on a 40-turn conversation, and loses no turn', async () => {
    const before = await converse(plain, llm, 40);
    llm.summaryDelayMs = 300; // summaries land while the next turns are being answered
    const after = await converse(summarised, llm, 40);
    expect(await waitFor(() => llm.summaryCalls >= 4, 30_000)).toBe(true);

    const last10 = (m: Measured): { bytes: number; ms: number } => ({
      bytes: Math.round(mean(m.promptBytes.slice(30))),
      ms: Math.round(mean(m.latencyMs.slice(30))),
    });
    const report = {
      without: { ...last10(before), turn40Bytes: before.promptBytes[39] },
      with: { ...last10(after), turn40Bytes: after.promptBytes[39] },
    };
    console.log(`prompt bytes and turn latency, turns 31-40 (mean): ${JSON.stringify(report)}`);
    // without summaries the prompt grows with every turn; with them it stays within summary + 10 turns
    expect(before.promptBytes[39]).toBeGreaterThan(before.promptBytes[9]! * 3);
    expect(Math.max(...after.promptBytes.slice(20))).toBeLessThan(before.promptBytes[39]! / 2);
    expect(report.with.ms).toBeLessThan(report.without.ms);

    const res = await fetch(`${summarised.url}/v1/sessions/${after.id}`);
    const body = (await res.json()) as { turns: { seq: number }[] };
    expect(body.turns.map((t) => t.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const summary = await summarised.store?.view({ id: after.id, owner: '-', isNew: false });
    expect(summary?.summary?.through).toBeGreaterThanOrEqual(30);
  });
});
