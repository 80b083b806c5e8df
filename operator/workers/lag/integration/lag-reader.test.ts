// The lag reader against the real broker of the test environment: lag before any commit, after a real
// consumer committed part and all of it, an unknown topic, and brokers that refuse or never answer.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { hungBroker } from '../../../dataplane/integration/kafka-admin-pool-support.js';
import { createWorkerLagReadMetrics } from '../metrics.js';
import { readWorkerLag } from '../reader.js';
import {
  brokers,
  cleanUp,
  consumeAndCommit,
  createTopic,
  fleet,
  groupOf,
  lagEnv,
  produce,
  tasksTopic,
} from './lag-support.js';
import type { LagEnv } from './lag-support.js';

const PARTITIONS = 4;
const PER_PARTITION = 10;
const TOTAL = PARTITIONS * PER_PARTITION;

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('worker lag reader on the real broker', () => {
  let env: LagEnv;
  const cbd = fleet('reader');
  const topic = tasksTopic('reader');
  const group = groupOf('reader');

  beforeAll(async () => {
    env = await lagEnv();
    await createTopic(env, topic, PARTITIONS);
    await produce(env, topic, PARTITIONS, PER_PARTITION);
  });
  afterAll(async () => cleanUp(env));

  it('a group that never committed lags by every message produced, counted from the start', async () => {
    const pooled = await readWorkerLag(env.pool, { brokers }, cbd, topic);
    expect(pooled).toMatchObject({ kind: 'lag', lag: TOTAL, partitions: PARTITIONS });
    // Again through the pool's (now reused) client: the same reading, nothing committed meanwhile.
    const again = await readWorkerLag(env.pool, { brokers }, cbd, topic);
    expect(again).toMatchObject({ kind: 'lag', lag: TOTAL, partitions: PARTITIONS });
  });

  it('drops by exactly what a real consumer in the group committed, then to 0 (not unavailable)', async () => {
    const committed = await consumeAndCommit(env, group, topic, { expect: TOTAL, commits: 15 });
    expect(committed).toBe(15);
    expect(await readWorkerLag(env.pool, { brokers }, cbd, topic)).toMatchObject({
      kind: 'lag',
      lag: TOTAL - 15,
    });
    await consumeAndCommit(env, group, topic, { expect: TOTAL - 15 });
    const idle = await readWorkerLag(env.pool, { brokers }, cbd, topic);
    expect(idle).toMatchObject({ kind: 'lag', lag: 0, partitions: PARTITIONS });
  });

  it('new tasks after the group caught up show as lag again', async () => {
    await produce(env, topic, PARTITIONS, 2);
    const again = await readWorkerLag(env.pool, { brokers }, cbd, topic);
    expect(again).toMatchObject({ kind: 'lag', lag: PARTITIONS * 2 });
  });

  it('an unknown topic is unavailable/TopicNotFound, not lag 0', async () => {
    const missing = await readWorkerLag(env.pool, { brokers }, cbd, `${topic}.missing`);
    expect(missing).toMatchObject({ kind: 'unavailable', reason: 'TopicNotFound' });
    // The client stays pooled: the broker answered.
    expect(env.pool.size).toBe(1);
  });

  it("a fleet whose topic is missing never fails another fleet's read on the same pooled client", async () => {
    // Before the topic list was consulted first, kafkajs kept asking for the missing topics on every
    // metadata refresh and all 50 reads of the existing topic came back TopicNotFound.
    const failures: string[] = [];
    for (let i = 0; i < 50; i++) {
      const other = fleet(`absent-${i % 3}`);
      const missing = await readWorkerLag(env.pool, { brokers }, other, tasksTopic(`absent-${i % 3}`));
      expect(missing).toMatchObject({ kind: 'unavailable', reason: 'TopicNotFound' });
      const r = await readWorkerLag(env.pool, { brokers }, cbd, topic);
      if (r.kind !== 'lag') failures.push(`${i}: ${r.reason}: ${r.message}`);
    }
    expect(failures).toEqual([]);
    expect(env.pool.size).toBe(1);
  });

  it('a refused connection is unavailable/KafkaUnreachable, within the timeout', async () => {
    const port = await closedPort();
    const started = performance.now();
    const down = await readWorkerLag(env.pool, { brokers: [`127.0.0.1:${port}`] }, cbd, topic, {
      timeoutMs: 4000,
    });
    expect(down).toMatchObject({ kind: 'unavailable', reason: 'KafkaUnreachable' });
    expect(performance.now() - started).toBeLessThan(4500);
  });

  it('a broker that accepts TCP and never answers is unavailable/Timeout at the deadline', async () => {
    const hung = await hungBroker();
    try {
      const started = performance.now();
      const r = await readWorkerLag(env.pool, { brokers: [`127.0.0.1:${hung.port}`] }, cbd, topic, {
        timeoutMs: 800,
      });
      const elapsed = performance.now() - started;
      expect(r).toMatchObject({ kind: 'unavailable', reason: 'Timeout' });
      expect(elapsed).toBeGreaterThanOrEqual(790);
      expect(elapsed).toBeLessThan(1500);
      // The hung client was cut at once, not left holding a socket.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(hung.sockets.size).toBe(0);
    } finally {
      hung.server.close();
    }
  });

  it('a cancelled read ends as unavailable/Aborted without touching the broker', async () => {
    const controller = new AbortController();
    controller.abort(new Error('leadership lost'));
    const r = await readWorkerLag(env.pool, { brokers }, cbd, topic, { signal: controller.signal });
    expect(r).toMatchObject({ kind: 'unavailable', reason: 'Aborted' });
  });

  it('hostile names are refused before any request', async () => {
    // A fleet name long enough that its group id (<ns>.<name>.workers) is over the bound.
    const r = await readWorkerLag(env.pool, { brokers }, fleet('g'.repeat(250)), topic);
    expect(r).toMatchObject({ kind: 'unavailable', reason: 'InvalidRequest' });
    expect(await readWorkerLag(env.pool, { brokers }, cbd, '')).toMatchObject({ reason: 'InvalidRequest' });
  });

  it('lag-read latency through the pooled client, also in its histogram', async () => {
    const registry = new Registry();
    const metrics = createWorkerLagReadMetrics(registry);
    expect(await readWorkerLag(env.pool, { brokers }, cbd, `${topic}.missing`, { metrics })).toMatchObject({
      reason: 'TopicNotFound',
    });
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const started = performance.now();
      const r = await readWorkerLag(env.pool, { brokers }, cbd, topic, { metrics });
      times.push(performance.now() - started);
      expect(r.kind === 'lag' ? 'lag' : `${r.reason}: ${r.message}`).toBe('lag');
    }
    times.sort((a, b) => a - b);
    const at = (q: number): number => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
    console.log(
      `lag read (${PARTITIONS} partitions, pooled client, 30 reads): p50 ${at(0.5).toFixed(1)} ms, ` +
        `p90 ${at(0.9).toFixed(1)} ms, max ${at(1).toFixed(1)} ms`,
    );
    expect(at(0.5)).toBeLessThan(1000);
    const text = await registry.metrics();
    const count = (result: string): string | undefined =>
      text
        .split('\n')
        .find((l) =>
          l.startsWith(`chatfleet_operator_worker_lag_read_duration_seconds_count{result="${result}"}`),
        )
        ?.split(' ')[1];
    expect(count('lag')).toBe('30');
    expect(count('TopicNotFound')).toBe('1');
  });
});
