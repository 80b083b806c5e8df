/**
 * The bot runtime's Kafka clients through the REAL broker's SASL_PLAINTEXT listener
 * (KAFKA_SASL_BROKERS, the SCRAM-SHA-512 user of the test environment): conversation events are
 * delivered with the right password; with a wrong one chat goes on, nothing is delivered, /readyz says
 * "kafka":"disconnected" and the log says the login was refused, naming user and mechanism, never
 * the password. The worker's consumer logs in the same way. Verification reads over plaintext.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { loadConfig } from '../config.js';
import { wireRuntime, type WiredRuntime } from '../server.js';
import { FleetKeys } from '../sessions/keys.js';
import { startWorker } from '../worker/worker.js';
import { spawnBot } from './support/child.js';
import { consumeUntil, createTopic, deleteTopic, kafkaClient } from './support/kafka.js';
import { requireEnv, runId } from './support/env.js';
import { metricValue, postChat } from './support/runtime.js';

function testenv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: source .testenv/env (the broker's SASL listener) first`);
  return v;
}

const SASL = {
  KAFKA_BROKERS: testenv('KAFKA_SASL_BROKERS'),
  KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
  KAFKA_SASL_USERNAME: testenv('KAFKA_SASL_SCRAM_USER'),
  KAFKA_SASL_PASSWORD: testenv('KAFKA_SASL_SCRAM_PASSWORD'),
};
const WRONG_PASSWORD = `wrong-${runId('pw')}`;

/** Every log line as parsed JSON, at debug level (kafkajs' own lines included). */
function capturingLogger(): { log: Logger; lines: Record<string, unknown>[]; text: () => string } {
  const raw: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void raw.push(line) });
  return {
    log,
    get lines() {
      return raw.map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    text: () => raw.join(''),
  };
}

interface Started {
  wired: WiredRuntime;
  url: string;
  logs: ReturnType<typeof capturingLogger>;
}

const started: Started[] = [];
const topics: string[] = [];

async function start(env: Record<string, string>): Promise<Started> {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', RATE_LIMIT_PER_MINUTE: '0', ...env });
  const logs = capturingLogger();
  const wired = await wireRuntime(config, logs.log, { redisConnectTimeoutMs: 10_000 });
  const url = await wired.app.listen({ port: 0, host: '127.0.0.1' });
  const s = { wired, url, logs };
  started.push(s);
  return s;
}

/** A fresh topic of this run, deleted after all tests. */
async function newTopic(prefix: string, partitions: number): Promise<string> {
  const topic = runId(prefix);
  topics.push(topic);
  await createTopic(topic, partitions);
  return topic;
}

async function eventually(cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

async function readyz(url: string): Promise<Record<string, unknown>> {
  return (await (await fetch(`${url}/readyz`)).json()) as Record<string, unknown>;
}

async function chat(url: string, n: number): Promise<string[]> {
  const sessions: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await postChat(url, { message: i % 2 ? 'hello' : 'where is my order' });
    expect(res.status).toBe(200);
    sessions.push(String(res.body.sessionId));
  }
  return sessions;
}

afterAll(async () => {
  for (const s of started) await s.wired.app.close();
  for (const t of topics) await deleteTopic(t).catch(() => undefined);
}, 60_000);

describe('conversation events through the SASL listener (SCRAM-SHA-512)', () => {
  it('are delivered, and the connect line names mechanism and user but not the password', async () => {
    const topic = await newTopic('h1cred-events', 3);
    const rt = await start({ ...SASL, REDIS_URL: requireEnv('REDIS_URL'), KAFKA_EVENTS_TOPIC: topic });
    const events = rt.wired.events!;

    const sessions = await chat(rt.url, 20);
    expect(await eventually(() => events.pending === 0 && events.connected, 30_000)).toBe(true);
    expect(await metricValue(rt.wired.registry, 'chatfleet_events_produced_total')).toBe(20);
    expect(await readyz(rt.url)).toMatchObject({ kafka: 'connected', eventsBuffered: 0 });

    const seen = new Set<string>();
    await consumeUntil(
      topic,
      (values) => {
        for (const v of values) seen.add((JSON.parse(v) as { sessionId: string }).sessionId);
        return sessions.every((id) => seen.has(id));
      },
      30_000,
    );
    expect(sessions.filter((id) => !seen.has(id))).toEqual([]);

    const connected = rt.logs.lines.find((l) => l.msg === 'Kafka producer connected');
    expect(connected).toMatchObject({ sasl: 'scram-sha-512', user: SASL.KAFKA_SASL_USERNAME, tls: false });
    expect(rt.logs.text()).not.toContain(SASL.KAFKA_SASL_PASSWORD);
  }, 90_000);

  it('with a wrong password: chat goes on, nothing is delivered, readiness and the log say why', async () => {
    const topic = await newTopic('h1cred-wrongpw', 1);
    const rt = await start({
      ...SASL,
      KAFKA_SASL_PASSWORD: WRONG_PASSWORD,
      REDIS_URL: requireEnv('REDIS_URL'),
      KAFKA_EVENTS_TOPIC: topic,
    });
    const refusal = (): Record<string, unknown> | undefined =>
      rt.logs.lines.find((l) => l.msg === 'Kafka not reachable yet; events are buffered');
    expect(await eventually(() => refusal() !== undefined, 20_000)).toBe(true);
    expect(String(refusal()?.err)).toMatch(
      new RegExp(
        `^authentication failed for user "${SASL.KAFKA_SASL_USERNAME}" with mechanism SCRAM-SHA-512: `,
      ),
    );

    await chat(rt.url, 10);
    expect(await eventually(() => rt.wired.events!.pending === 10, 5_000)).toBe(true);
    // Retries meanwhile (backoff up to 2 s) are refused too: still nothing delivered after a while.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await readyz(rt.url)).toMatchObject({
      status: 'ready',
      kafka: 'disconnected',
      eventsBuffered: 10,
    });
    expect(await metricValue(rt.wired.registry, 'chatfleet_events_produced_total')).toBe(0);
    expect(await metricValue(rt.wired.registry, 'chatfleet_events_buffered')).toBe(10);
    const retried = rt.logs.lines.find((l) => l.msg === 'cannot produce events; retrying');
    expect(String(retried?.err)).toContain('authentication failed for user');
    expect(rt.logs.text()).not.toContain(WRONG_PASSWORD);
    const onBroker = await consumeUntil(topic, (values) => values.length > 0, 3_000);
    expect(onBroker).toEqual([]);
  }, 90_000);
});

describe('the background worker through the SASL listener', () => {
  it('consumes tasks with SCRAM, and refuses to start with a wrong password, saying why', async () => {
    const topic = await newTopic('h1cred-tasks', 1);
    const fleetId = `test/${runId('h1cred')}`;
    const env = {
      ...SASL,
      REDIS_URL: requireEnv('REDIS_URL'),
      FLEET_ID: fleetId,
      KAFKA_TASKS_TOPIC: topic,
      KAFKA_TASKS_GROUP: `${topic}-group`,
      WORKER_PORT: '0',
      HOST: '127.0.0.1',
    };
    const wrong = capturingLogger();
    await expect(
      startWorker(loadConfig({ ...env, KAFKA_SASL_PASSWORD: WRONG_PASSWORD }), wrong.log),
    ).rejects.toThrow(/authentication failed for user "[^"]+" with mechanism SCRAM-SHA-512/);
    expect(wrong.text()).not.toContain(WRONG_PASSWORD);

    const worker = await startWorker(loadConfig(env), pino({ level: 'silent' }));
    const redis = new Redis(requireEnv('REDIS_URL'));
    try {
      const producer = kafkaClient('h1cred-tasks').producer();
      await producer.connect();
      const task = {
        id: runId('t'),
        type: 'cache.put',
        modelVersion: 'v1',
        question: 'Gift wrap?',
        answer: 'Yes.',
      };
      await producer.send({ topic, messages: [{ key: 'a', value: JSON.stringify(task) }] });
      await producer.disconnect();
      const done = new FleetKeys(fleetId).taskDone(task.id);
      expect(await eventually(async () => (await redis.exists(done)) === 1, 30_000)).toBe(true);
    } finally {
      await worker.shutdown('test');
      await redis.quit();
    }
  }, 120_000);
});

describe('the real process (npm run bot) with credentials that do not fit together', () => {
  it.each([
    [{ KAFKA_SASL_MECHANISM: '' }, 'KAFKA_SASL_USERNAME is set without KAFKA_SASL_MECHANISM'],
    [
      { KAFKA_SASL_MECHANISM: 'gssapi' },
      'KAFKA_SASL_MECHANISM must be one of plain, scram-sha-256, scram-sha-512',
    ],
    [{ KAFKA_SASL_USERNAME: '' }, 'KAFKA_SASL_MECHANISM=scram-sha-512 needs KAFKA_SASL_USERNAME'],
    [{ KAFKA_TLS_CA: 'not a certificate' }, 'KAFKA_TLS_CA holds no PEM certificate'],
  ])(
    '%j: stops at start with a configuration error naming the variable, not the password',
    async (over, message) => {
      const failure = await spawnBot({ ...SASL, ...over }).then(
        async (child) => {
          child.proc.kill('SIGKILL');
          await child.exited;
          return 'started';
        },
        (err: unknown) => String(err),
      );
      expect(failure).toContain(`configuration error: ${message}`);
      expect(failure).not.toContain(SASL.KAFKA_SASL_PASSWORD);
    },
    60_000,
  );
});
