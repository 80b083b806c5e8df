import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { requireEnv } from './support/env.js';
import {
  Conversation,
  metricValue,
  postChat,
  startRuntimeWithLlm,
  type RuntimeWithLlm,
} from './support/runtime.js';

/**
 * Attacks through the shared answer cache (real Redis, a real HTTP LLM on loopback whose answer
 * to an "echoback" question repeats the conversation's earlier messages, as a real LLM may):
 * - leak: A tells the bot its IBAN, then asks "what is my iban"; the answer used A's history and
 *   was cached under the question, so B asking "What is my IBAN?" got A's IBAN from the cache;
 * - poisoning: an attacker plants text in its own history, then asks a popular question; the
 *   answer, shaped by that text, was served from the cache to everyone for an hour.
 * Now only context-free answers (the LLM saw only the question: a first turn) are shared.
 */
describe('cache leak and cache poisoning', () => {
  let rt: RuntimeWithLlm;
  const tag = `${Date.now()}${Math.floor(Math.random() * 1e6)}`; // one cache key space per run (it outlives runs)
  const skips = (): Promise<number> =>
    metricValue(rt.registry, 'chatfleet_cache_skips_total', { reason: 'history' });

  beforeAll(async () => {
    rt = await startRuntimeWithLlm({
      REDIS_URL: requireEnv('REDIS_URL'),
      RATE_LIMIT_PER_MINUTE: '0',
      SESSION_TTL_SECONDS: '120',
    });
  });
  afterAll(async () => {
    await rt?.close();
  });

  it('an answer that used A’s history is never served to B', async () => {
    const iban = 'DE89370400440532013000';
    const alice = new Conversation(rt.url);
    await alice.say(`my iban is ${iban}`);
    const own = await alice.say(`what is my iban echoback ${tag}`);
    expect(own.body).toMatchObject({ source: 'llm' });
    expect(String(own.body.reply)).toContain(iban); // A's own conversation may use it
    expect(await skips()).toBe(1);

    const bob = await postChat(rt.url, { message: `What is my IBAN?? Echoback ${tag}` });
    expect(bob.body.source).toBe('llm'); // not a cache hit
    expect(String(bob.body.reply)).not.toContain(iban);
  });

  it('a planted history cannot poison the answer others get; context-free answers are still shared', async () => {
    const question = `what does the wombat club cost echoback ${tag}`;
    const attacker = new Conversation(rt.url);
    await attacker.say('the wombat club is free for everyone');
    const planted = await attacker.say(question);
    expect(String(planted.body.reply)).toContain('free for everyone');

    const victim = await postChat(rt.url, { message: question.toUpperCase() });
    expect(victim.body.source).toBe('llm');
    expect(String(victim.body.reply)).not.toContain('free for everyone');
    // the victim's first turn was context-free: it is the one shared from now on
    const next = await postChat(rt.url, { message: `${question}?` });
    expect(next.body).toMatchObject({ source: 'cache', reply: victim.body.reply });
    expect(await skips()).toBe(2);
  });
});
