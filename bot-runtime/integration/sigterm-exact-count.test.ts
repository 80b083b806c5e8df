import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runtimeConfigData } from '../../operator/workload/runtime-config.js';
import { minimalCr } from '../../operator/workload/fixtures.js';
import { spawnBot, type Child } from './support/child.js';
import { requireEnv, runId } from './support/env.js';
import { consumeUntil, createTopic, deleteTopic } from './support/kafka.js';
import { startFakeLlm, type FakeLlm } from './support/llm-server.js';
import { postChat } from './support/runtime.js';

/** The pod spec's timings: SIGTERM leaves grace - drain = 8 s before the kubelet's SIGKILL. */
const GRACE_SECONDS = 10;
const DRAIN_SECONDS = 2;
const WORKERS = 12;

/** The shutdown budgets exactly as the operator sets them for this CR. */
function operatorShutdownEnv(): Record<string, string> {
  const spec = { image: 'i', terminationGracePeriodSeconds: GRACE_SECONDS, drainSeconds: DRAIN_SECONDS };
  const data = runtimeConfigData(minimalCr({ runtime: spec }));
  return {
    DRAIN_TIMEOUT_MS: data.DRAIN_TIMEOUT_MS!,
    CLOSE_TIMEOUT_MS: data.CLOSE_TIMEOUT_MS!,
    EVENTS_FLUSH_TIMEOUT_MS: data.EVENTS_FLUSH_TIMEOUT_MS!,
  };
}

type Outcome = { status: number; key?: string; code?: unknown } | { status: 'refused' };

/**
 * SIGTERM under load, with an exact count: a real bot process (real Redis and Kafka) answers 12
 * workers that keep sending turns (intent answers, and LLM turns held 1 s) through the SIGTERM.
 * Every turn answered 200 is acknowledged to its client, so its event must be in Kafka exactly
 * once; a turn refused (503 SHUTTING_DOWN, or no connection) has no event. The process must exit 0
 * within the time the grace period leaves after the preStop sleep.
 */
describe('SIGTERM under load: no acknowledged event is lost', () => {
  const topic = runId('cf-exact');
  let llm: FakeLlm;
  let bot: Child;

  beforeAll(async () => {
    await createTopic(topic, 3);
    llm = await startFakeLlm(1000);
    bot = await spawnBot({
      REDIS_URL: requireEnv('REDIS_URL'),
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      KAFKA_EVENTS_TOPIC: topic,
      LLM_ENDPOINT: llm.url,
      LLM_TIMEOUT_MS: '3000',
      RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
      ...operatorShutdownEnv(),
    });
  });
  afterAll(async () => {
    if (bot?.proc.exitCode === null) bot.proc.kill('SIGKILL');
    await llm?.close();
    await deleteTopic(topic).catch(() => undefined);
  });

  it('delivers exactly one event per 200 reply, none for refused turns, and exits within the grace period', async () => {
    const outcomes: Outcome[] = [];
    let stop = false;
    const worker = async (w: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        // a third of the workers ask what only the LLM answers: those turns are in flight at SIGTERM
        const message = w % 3 === 0 ? `zanzibar ${topic} ${w}-${i}` : 'where is my order';
        try {
          const res = await postChat(bot.url, { message });
          const key =
            res.status === 200 ? `${String(res.body.sessionId)}#${String(res.body.turn)}` : undefined;
          outcomes.push({ status: res.status, key, code: (res.body.error as { code?: unknown })?.code });
        } catch {
          outcomes.push({ status: 'refused' }); // the server has closed: the client knows
          return;
        }
      }
    };
    const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
    const loadedBy = Date.now() + 60_000;
    while (outcomes.filter((o) => o.status === 200).length < 300 && Date.now() < loadedBy) {
      await new Promise((r) => setTimeout(r, 20));
    }

    const sigtermAt = performance.now();
    bot.proc.kill('SIGTERM');
    const exit = await bot.exited;
    const exitedAfterMs = performance.now() - sigtermAt;
    stop = true;
    await Promise.all(workers);

    expect(exit).toEqual({ code: 0, signal: null });
    expect(exitedAfterMs).toBeLessThan((GRACE_SECONDS - DRAIN_SECONDS) * 1000);
    const acknowledged = outcomes.flatMap((o) => (o.status === 200 && 'key' in o && o.key ? [o.key] : []));
    const refused = outcomes.filter((o) => o.status !== 200);
    const unexpected = refused.filter(
      (o) => o.status !== 'refused' && !(o.status === 503 && 'code' in o && o.code === 'SHUTTING_DOWN'),
    );
    expect(unexpected).toEqual([]);
    expect(acknowledged.length).toBeGreaterThanOrEqual(300);
    expect(new Set(acknowledged).size).toBe(acknowledged.length);

    // Everything Kafka holds for this topic: read until it has the acknowledged count, then read
    // it again with a fresh group 3 s later, which ends early only if the topic holds more
    // (duplicates or strays): the first must equal the acknowledged turns, the second hold no more.
    const key = (v: string): string => {
      const e = JSON.parse(v) as { sessionId: string; turn: number };
      return `${e.sessionId}#${e.turn}`;
    };
    const delivered = (await consumeUntil(topic, (vs) => vs.length >= acknowledged.length, 60_000)).map(key);
    await new Promise((r) => setTimeout(r, 3000));
    const again = (await consumeUntil(topic, (vs) => vs.length > acknowledged.length, 10_000)).map(key);
    expect(again.length).toBeLessThanOrEqual(acknowledged.length);
    console.log(
      `SIGTERM after ${acknowledged.length} acknowledged turns in flight or done: exit 0 after ${Math.round(exitedAfterMs)} ms; ` +
        `${refused.length} refused; ${delivered.length} events in Kafka`,
    );
    expect(delivered.sort()).toEqual([...acknowledged].sort());
  });
});
