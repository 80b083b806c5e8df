import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { closedPort } from '../../e2e/support/net.js';
import { requireEnv } from './support/env.js';
import { metricValue, postChat, startRuntime, type Runtime } from './support/runtime.js';

/**
 * Failed stores were silent: a turn that could not be recorded answered 200 with `turn: 0`, and a
 * client could not tell that its conversation had not been kept. Now the reply says
 * `stored: false` and chatfleet_turns_unstored_total counts it. Redis is a loopback port nothing
 * listens on (the shared test Redis is never stopped for this), and the real one for contrast.
 */
describe('honest replies when the session store fails', () => {
  let down: Runtime;
  let up: Runtime;

  beforeAll(async () => {
    down = await startRuntime(
      { REDIS_URL: `redis://127.0.0.1:${await closedPort()}`, REDIS_COMMAND_TIMEOUT_MS: '200' },
      { requireRedis: false },
    );
    up = await startRuntime({ REDIS_URL: requireEnv('REDIS_URL'), RATE_LIMIT_PER_MINUTE: '0' });
  });
  afterAll(async () => {
    await down?.close();
    await up?.close();
  });

  it('a turn that could not be stored says stored: false and is counted', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await postChat(down.url, { message: 'where is my order' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ intent: 'order_status', turn: 0, stored: false });
    }
    expect(await metricValue(down.registry, 'chatfleet_turns_unstored_total')).toBe(3);
  });

  it('a stored turn says stored: true', async () => {
    const res = await postChat(up.url, { message: 'where is my order' });
    expect(res.body).toMatchObject({ turn: 1, stored: true });
    expect(await metricValue(up.registry, 'chatfleet_turns_unstored_total')).toBe(0);
  });
});
