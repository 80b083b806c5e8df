import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { requireEnv, runId } from './support/env.js';
import { startFakeLlm, type FakeLlm } from './support/llm-server.js';
import { Conversation, postChat, startRuntime, type Runtime } from './support/runtime.js';

/**
 * Two fleets on one Redis (the test environment's, real). Before: keys had no fleet prefix, so
 * fleets sharing an external Redis shared sessions, answer cache and rate-limit counters. Now every
 * key is under cf:<FLEET_ID>: and the operator sets FLEET_ID=<namespace>/<name>.
 */
describe('two fleets on one Redis', () => {
  let llm: FakeLlm;
  let shop: Runtime;
  let bank: Runtime;
  const tag = runId('fleets');

  beforeAll(async () => {
    llm = await startFakeLlm(0);
    const common = { REDIS_URL: requireEnv('REDIS_URL'), LLM_ENDPOINT: llm.url, RATE_LIMIT_PER_MINUTE: '5' };
    shop = await startRuntime({ ...common, FLEET_ID: `team-a/${tag}` });
    bank = await startRuntime({ ...common, FLEET_ID: `team-b/${tag}` });
  });
  afterAll(async () => {
    await shop?.close();
    await bank?.close();
    await llm?.close();
  });

  it('never sees the other fleet’s sessions, answer cache or rate limits', async () => {
    const conversation = new Conversation(shop.url);
    expect((await conversation.say(`what is the zanzibar ferry timetable ${tag}`)).body.source).toBe('llm');
    // the same id on the other fleet: no such session
    expect((await fetch(`${bank.url}/v1/sessions/${conversation.id}`)).status).toBe(404);
    expect((await postChat(bank.url, { sessionId: conversation.id, message: 'hello' })).status).toBe(404);
    // the same context-free question: a cache hit on its own fleet, an LLM call on the other
    const calls = llm.calls;
    expect(
      (await postChat(shop.url, { message: `What is the Zanzibar ferry timetable? ${tag}` })).body.source,
    ).toBe('cache');
    expect(
      (await postChat(bank.url, { message: `What is the Zanzibar ferry timetable? ${tag}` })).body.source,
    ).toBe('llm');
    expect(llm.calls).toBe(calls + 1);
    // shop's client exhausts shop's limit (14 requests in at most two one-minute windows: one has
    // more than 5); bank, asked 3 times so far by the same address, keeps its own count
    const burst = [];
    for (let i = 0; i < 12; i++) burst.push((await postChat(shop.url, { message: 'hello' })).status);
    expect(burst).toContain(429);
    expect((await postChat(bank.url, { message: 'hello' })).status).toBe(200);
  });
});
