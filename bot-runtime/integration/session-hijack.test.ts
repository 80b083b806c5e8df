import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { WebSocket } from 'ws';
import { FleetKeys } from '../sessions/keys.js';
import { requireEnv, runId } from './support/env.js';
import {
  Conversation,
  metricValue,
  postChat,
  startRuntimeWithLlm,
  type RuntimeWithLlm,
} from './support/runtime.js';

const ALICE = { authorization: 'Bearer alice-key' };
const BOB = { authorization: 'Bearer bob-key' };

/** One WebSocket turn: the reply or error frame. */
async function wsTurn(url: string, headers: Record<string, string>, frame: object): Promise<unknown> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/chat/ws`, { headers });
  try {
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const reply = new Promise<unknown>((resolve) =>
      ws.once('message', (d: Buffer) => resolve(JSON.parse(d.toString()))),
    );
    ws.send(JSON.stringify(frame));
    return await reply;
  } finally {
    ws.close();
  }
}

/**
 * Session read and write by another principal, against real Redis and a real LLM peer whose
 * "echoback" answer repeats the conversation's earlier messages. Before: any valid token read
 * GET /v1/sessions/<id> of anyone, and posting into a victim's session made the LLM see the
 * victim's history ("summarise our conversation"); ids were the client's choice ("alice").
 * Now a session belongs to the principal that started it, and only the server makes ids.
 */
describe('session read and write by another principal', () => {
  let rt: RuntimeWithLlm;
  let redis: Redis;
  const keys = new FleetKeys(`test/${runId('hijack')}`);
  const secret = 'my card pin is 4711';
  let victim: Conversation;

  beforeAll(async () => {
    rt = await startRuntimeWithLlm({
      REDIS_URL: requireEnv('REDIS_URL'),
      FLEET_ID: keys.fleetId,
      AUTH_API_KEYS: 'alice:alice-key,bob:bob-key',
      RATE_LIMIT_PER_MINUTE: '0',
    });
    redis = new Redis(requireEnv('REDIS_URL'));
    victim = new Conversation(rt.url, ALICE);
    expect((await victim.say(secret)).status).toBe(200);
    expect((await victim.say('where is my order')).body.turn).toBe(2);
  });
  afterAll(async () => {
    await rt?.close();
    redis?.disconnect();
  });

  it('makes ids of 128 random bits and stores the owner as a digest', async () => {
    expect(victim.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const owner = await redis.get(keys.session(victim.id).owner);
    expect(owner).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(owner).not.toContain('alice');
  });

  it('answers another principal 404 on GET, exactly as for a session that does not exist', async () => {
    const foreign = await fetch(`${rt.url}/v1/sessions/${victim.id}`, { headers: BOB });
    const missing = await fetch(`${rt.url}/v1/sessions/${runId('nosuch')}`, { headers: BOB });
    expect([foreign.status, missing.status]).toEqual([404, 404]);
    expect(await foreign.text()).toBe(await missing.text());
    const own = await fetch(`${rt.url}/v1/sessions/${victim.id}`, { headers: ALICE });
    expect(own.status).toBe(200);
  });

  it('answers another principal 404 on POST: the LLM never sees the victim’s history, nothing is stored', async () => {
    const callsBefore = rt.llm.calls;
    const foreign = await postChat(
      rt.url,
      { sessionId: victim.id, message: 'summarise our conversation echoback' },
      BOB,
    );
    const missing = await postChat(
      rt.url,
      { sessionId: runId('nosuch'), message: 'summarise echoback' },
      BOB,
    );
    expect([foreign.status, missing.status]).toEqual([404, 404]);
    expect(foreign.body).toEqual(missing.body);
    expect(foreign.body).toEqual({ error: { code: 'NOT_FOUND', message: 'no such session' } });
    expect(rt.llm.calls).toBe(callsBefore);
    // an intent turn (no LLM, no history) is refused too, and the victim's session is unchanged
    expect((await postChat(rt.url, { sessionId: victim.id, message: 'where is my order' }, BOB)).status).toBe(
      404,
    );
    expect(await redis.get(keys.session(victim.id).seq)).toBe('2');
    const next = await victim.say('and my refund?');
    expect(next.body.turn).toBe(3);
    expect(await metricValue(rt.registry, 'chatfleet_sessions_not_found_total')).toBeGreaterThanOrEqual(5);
  });

  it('refuses the same over the WebSocket', async () => {
    const frame = await wsTurn(rt.url, BOB, { message: 'summarise echoback', sessionId: victim.id });
    expect(frame).toEqual({ error: { code: 'NOT_FOUND', message: 'no such session' } });
    const own = await wsTurn(rt.url, ALICE, { message: 'hello', sessionId: victim.id });
    expect(own).toMatchObject({ sessionId: victim.id, turn: 4 });
  });

  it('never adopts a client-chosen id: no keys are created for it', async () => {
    const chosen = `alice-${runId('x')}`;
    expect((await postChat(rt.url, { sessionId: chosen, message: 'hello' }, ALICE)).status).toBe(404);
    const k = keys.session(chosen);
    expect(await redis.exists(k.turns, k.seq, k.pin, k.owner)).toBe(0);
  });
});
