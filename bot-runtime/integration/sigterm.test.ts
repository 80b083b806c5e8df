import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WebSocket } from 'ws';
import { spawnBot, type Child } from './support/child.js';
import { requireEnv, runId } from './support/env.js';
import { consumeUntil, createTopic, deleteTopic } from './support/kafka.js';
import { startFakeLlm, type FakeLlm } from './support/llm-server.js';
import { postChat } from './support/runtime.js';

const TURNS = 20;

describe('graceful shutdown of a real bot process on SIGTERM', () => {
  const topic = runId('cf-drain');
  let llm: FakeLlm;
  let bot: Child;

  beforeAll(async () => {
    await createTopic(topic, 1);
    llm = await startFakeLlm(1500); // every LLM turn stays in flight for 1.5 s
    bot = await spawnBot({
      REDIS_URL: requireEnv('REDIS_URL'),
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      KAFKA_EVENTS_TOPIC: topic,
      LLM_ENDPOINT: llm.url,
      LLM_TIMEOUT_MS: '10000',
      DRAIN_TIMEOUT_MS: '10000',
      RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'info',
    });
  });
  afterAll(async () => {
    if (bot?.proc.exitCode === null) bot.proc.kill('SIGKILL');
    await llm?.close();
    await deleteTopic(topic).catch(() => undefined);
  });

  it('fails readiness, finishes accepted turns, closes WebSockets with 1012, flushes events, exits 0', async () => {
    const ws = new WebSocket(`${bot.url.replace('http', 'ws')}/v1/chat/ws`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const wsClosed = new Promise<number>((resolve) => ws.on('close', (code: number) => resolve(code)));

    const accepted = Array.from({ length: TURNS }, (_, i) =>
      postChat(bot.url, { message: `zanzibar query ${i} ${topic}` }),
    );
    const end = Date.now() + 30_000;
    while (llm.calls < TURNS && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(llm.calls).toBe(TURNS); // all turns accepted and waiting on the LLM

    bot.proc.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    const ready = await fetch(`${bot.url}/readyz`);
    expect(ready.status).toBe(503);
    const late = await postChat(bot.url, { message: 'hello' });
    expect(late.status).toBe(503);
    expect(late.body).toMatchObject({ error: { code: 'SHUTTING_DOWN' } });

    const results = await Promise.all(accepted);
    expect(results.map((r) => r.status)).toEqual(Array(TURNS).fill(200));
    expect(results.every((r) => r.body.source === 'llm')).toBe(true);
    expect(await wsClosed).toBe(1012);
    expect(await bot.exited).toEqual({ code: 0, signal: null });
    expect(bot.output()).toContain('"msg":"draining"');

    // The event buffer was flushed before exit: every accepted turn's event is in Kafka.
    const sessions = new Set<string>();
    await consumeUntil(
      topic,
      (vs) => {
        vs.forEach((v) => sessions.add((JSON.parse(v) as { sessionId: string }).sessionId));
        return sessions.size >= TURNS;
      },
      30_000,
    );
    expect(results.every((r) => sessions.has(r.body.sessionId as string))).toBe(true);
  });
});
