import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { consumeUntil, createTopic, deleteTopic } from './support/kafka.js';
import { REPO_ROOT, requireEnv, runId, testenvScript } from './support/env.js';
import { metricValue, postChat, startRuntime, type Runtime } from './support/runtime.js';
import { closedPort } from '../../e2e/support/net.js';

const TURNS = 10_000;
const CONCURRENCY = 32;

/** Starts the broker again in the background; chat keeps going meanwhile. */
function startBrokerAsync(): Promise<number | null> {
  return new Promise((resolve) => {
    const p = spawn('bash', [`${REPO_ROOT}testenv/kafka.sh`, 'start'], { stdio: 'inherit' });
    p.on('exit', resolve);
  });
}

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  return cond();
}

describe('conversation events through a Kafka broker restart', () => {
  const topic = runId('cf-events');
  let rt: Runtime;

  beforeAll(async () => {
    requireEnv('KAFKA_BROKERS');
    await createTopic(topic, 3);
    rt = await startRuntime({
      REDIS_URL: requireEnv('REDIS_URL'),
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      KAFKA_EVENTS_TOPIC: topic,
      MAX_INFLIGHT: '1000',
      RATE_LIMIT_PER_MINUTE: '0',
    });
  });

  afterAll(async () => {
    testenvScript('kafka.sh', 'start'); // whatever happened, leave the broker running
    await rt?.close();
    await deleteTopic(topic).catch(() => undefined);
  });

  it('loses no event and fails no chat request while the broker restarts', async () => {
    let next = 0;
    let completed = 0;
    const statuses = new Map<number, number>();
    let restart: Promise<number | null> | undefined;
    let maxPending = 0;
    const worker = async (): Promise<void> => {
      while (next < TURNS) {
        const i = next++;
        const res = await postChat(rt.url, { message: i % 2 ? 'hello' : 'where is my order' });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        completed += 1;
        maxPending = Math.max(maxPending, rt.events!.pending);
        if (completed === 2000) testenvScript('kafka.sh', 'stop');
        if (completed === 6000) restart = startBrokerAsync();
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(Object.fromEntries(statuses)).toEqual({ 200: TURNS });
    // Proof that the broker really was away: events piled up in the buffer meanwhile.
    expect(maxPending).toBeGreaterThan(1000);

    expect(await restart).toBe(0);
    expect(await waitFor(() => rt.events!.pending === 0, 90_000)).toBe(true);
    expect(await metricValue(rt.registry, 'chatfleet_events_dropped_total')).toBe(0);
    expect(await metricValue(rt.registry, 'chatfleet_events_produced_total')).toBeGreaterThanOrEqual(TURNS);

    const ids = new Set<string>();
    let parsed = 0;
    const values = await consumeUntil(
      topic,
      (vs) => {
        for (; parsed < vs.length; parsed++) ids.add((JSON.parse(vs[parsed]!) as { id: string }).id);
        return ids.size >= TURNS;
      },
      60_000,
    );
    expect(ids.size).toBe(TURNS);
    // At least once: a batch retried across the restart may appear twice; ids make that harmless.
    expect(values.length).toBeGreaterThanOrEqual(TURNS);
    const sample = JSON.parse(values[0]!) as Record<string, unknown>;
    expect(sample).toMatchObject({ type: 'chat.turn', modelVersion: '2026.11.0' });
    expect(sample).not.toHaveProperty('message');
  }, 300_000);
});

describe('conversation events while no broker answers', () => {
  let rt: Runtime;

  beforeAll(async () => {
    // A port with nothing listening: every connection attempt of the Kafka thread is refused.
    const port = await closedPort();
    rt = await startRuntime({
      REDIS_URL: requireEnv('REDIS_URL'),
      KAFKA_BROKERS: `127.0.0.1:${port}`,
      KAFKA_EVENTS_TOPIC: runId('cf-nobroker'),
      EVENTS_BUFFER_MAX: '50',
      RATE_LIMIT_PER_MINUTE: '0',
    });
  });

  afterAll(async () => {
    await rt?.close();
  });

  it('keeps answering, holds events up to the bound, and counts every drop past it', async () => {
    for (let i = 0; i < 80; i++) {
      const res = await postChat(rt.url, { message: 'hello' });
      expect(res.status).toBe(200);
    }
    expect(await waitFor(() => rt.events!.pending === 50, 5_000)).toBe(true);
    expect(await metricValue(rt.registry, 'chatfleet_events_dropped_total', { reason: 'buffer_full' })).toBe(
      30,
    );
    expect(await metricValue(rt.registry, 'chatfleet_events_buffered')).toBe(50);
    const ready = (await (await fetch(`${rt.url}/readyz`)).json()) as Record<string, unknown>;
    expect(ready).toMatchObject({ kafka: 'disconnected', eventsBuffered: 50 });
  });

  it('counts the events still held at shutdown as dropped (reason shutdown)', async () => {
    await rt.events!.close(200);
    expect(await metricValue(rt.registry, 'chatfleet_events_dropped_total', { reason: 'shutdown' })).toBe(50);
    expect(await metricValue(rt.registry, 'chatfleet_events_buffered')).toBe(0);
  });
});

/**
 * A loopback port standing in for the broker: it resets every connection (counting the attempts)
 * until `comeBack()`, then forwards each one to the real broker.
 */
async function brokerThatComesBack(port: number, broker: string) {
  const [host, brokerPort] = broker.split(':') as [string, string];
  const state = { back: false, attempts: 0, lastAttemptAt: Date.now() };
  const server = createServer((client) => {
    client.on('error', () => undefined);
    if (!state.back) {
      state.attempts += 1;
      state.lastAttemptAt = Date.now();
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(Number(brokerPort), host);
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    state,
    comeBack: () => void (state.back = true),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function kafkaState(url: string): Promise<unknown> {
  return ((await (await fetch(`${url}/readyz`)).json()) as { kafka?: unknown }).kafka;
}

async function waitForKafka(url: string, state: string, timeoutMs: number): Promise<unknown> {
  const end = Date.now() + timeoutMs;
  let seen = await kafkaState(url);
  while (seen !== state && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 200));
    seen = await kafkaState(url);
  }
  return seen;
}

describe('a runtime that started while the broker was away', () => {
  let rt: Runtime;
  let broker: Awaited<ReturnType<typeof brokerThatComesBack>>;

  beforeAll(async () => {
    const port = await closedPort();
    broker = await brokerThatComesBack(port, requireEnv('KAFKA_BROKERS').split(',')[0]!);
    rt = await startRuntime({
      REDIS_URL: requireEnv('REDIS_URL'),
      KAFKA_BROKERS: `127.0.0.1:${port}`,
      KAFKA_EVENTS_TOPIC: runId('cf-late-broker'),
      RATE_LIMIT_PER_MINUTE: '0',
    });
  });

  afterAll(async () => {
    await rt?.close();
    await broker?.close();
  });

  it('reports Kafka connected once the broker answers, with no event sent meanwhile', async () => {
    // the early connect retries a few times, then gives up: wait until it has been quiet for 3 s
    const quietSince = async (): Promise<number> => Date.now() - broker.state.lastAttemptAt;
    while (broker.state.attempts === 0 || (await quietSince()) < 3000)
      await new Promise((r) => setTimeout(r, 200));
    expect(await kafkaState(rt.url)).toBe('disconnected');
    broker.comeBack();
    const started = Date.now();
    // Without an idle reconnect the state stays "disconnected" until the first event, however long.
    expect(await waitForKafka(rt.url, 'connected', 30_000)).toBe('connected');
    process.stdout.write(
      `idle runtime saw the broker back after ${Date.now() - started} ms (${broker.state.attempts} refused attempts before)\n`,
    );
    expect(await metricValue(rt.registry, 'chatfleet_events_produced_total')).toBe(0);
  }, 60_000);
});
