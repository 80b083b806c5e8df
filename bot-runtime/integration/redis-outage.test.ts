import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { requireEnv, testenvScript } from './support/env.js';
import { Conversation, metricValue, postChat, startRuntime, type Runtime } from './support/runtime.js';

async function readyz(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function waitForRedis(url: string, state: 'up' | 'down', timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if ((await readyz(url)).body.redis === state) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`redis did not become ${state}`);
}

describe('Redis outage', () => {
  let rt: Runtime;

  beforeAll(async () => {
    rt = await startRuntime({ REDIS_URL: requireEnv('REDIS_URL'), RATE_LIMIT_PER_MINUTE: '100' });
  });
  afterAll(async () => {
    testenvScript('redis.sh', 'start'); // leave the shared Redis running whatever happened
    await rt?.close();
  });

  it('keeps answering with fallback context, reports degraded readiness, and recovers', async () => {
    const conversation = new Conversation(rt.url);
    expect((await conversation.say('hello')).body.turn).toBe(1);
    const sessionId = conversation.id;

    testenvScript('redis.sh', 'stop');
    await waitForRedis(rt.url, 'down', 10_000);
    const ready = await readyz(rt.url);
    expect(ready).toEqual({
      status: 200,
      body: expect.objectContaining({ status: 'degraded', redis: 'down' }),
    });

    const during = await Promise.all(
      ['where is my order', 'hello', 'explain quantum chromodynamics'].map((message) =>
        postChat(rt.url, { message, sessionId, userId: 'u1' }),
      ),
    );
    expect(during.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(during.map((r) => r.body.source)).toEqual(['intent', 'intent', 'fallback']);
    expect(during.every((r) => r.body.turn === 0)).toBe(true); // not stored: Redis is away
    expect((await fetch(`${rt.url}/v1/sessions/${sessionId}`)).status).toBe(503);
    expect(await metricValue(rt.registry, 'chatfleet_session_store_errors_total')).toBeGreaterThan(0);

    testenvScript('redis.sh', 'start');
    await waitForRedis(rt.url, 'up', 20_000);
    expect((await readyz(rt.url)).body.status).toBe('ready');
    const after = await postChat(rt.url, { message: 'hello' });
    expect(after.status).toBe(200);
    expect(after.body.turn).toBe(1);
  });
});
