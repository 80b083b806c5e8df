import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { FleetKeys } from '../sessions/keys.js';
import { requireEnv, runId } from './support/env.js';
import { Conversation, startRuntimeWithLlm, type RuntimeWithLlm } from './support/runtime.js';

const ALICE = { authorization: 'Bearer alice-key' };
const BOB = { authorization: 'Bearer bob-key' };

async function erase(
  url: string,
  id: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const res = await fetch(`${url}/v1/sessions/${id}`, { method: 'DELETE', headers });
  return { status: res.status, body: await res.text() };
}

/** DELETE /v1/sessions/:id against real Redis, with API-key auth: only the owner erases, at once. */
describe('session erasure route', () => {
  let rt: RuntimeWithLlm;
  let redis: Redis;
  const keys = new FleetKeys(`test/${runId('erase')}`);
  let alice: Conversation;

  beforeAll(async () => {
    rt = await startRuntimeWithLlm({
      REDIS_URL: requireEnv('REDIS_URL'),
      FLEET_ID: keys.fleetId,
      AUTH_API_KEYS: 'alice:alice-key,bob:bob-key',
    });
    redis = new Redis(requireEnv('REDIS_URL'));
    alice = new Conversation(rt.url, ALICE);
    expect((await alice.say('my address is 1 Main St')).status).toBe(200);
    expect((await alice.say('where is my order')).status).toBe(200);
    await redis.hset(keys.session(alice.id).summary, 'text', 'lives at 1 Main St', 'through', '1');
  });
  afterAll(async () => {
    await rt?.close();
    redis?.disconnect();
  });

  it('is 404 for another principal, and leaves the session alone', async () => {
    const res = await erase(rt.url, alice.id, BOB);
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect(await redis.exists(keys.session(alice.id).owner)).toBe(1);
  });

  it('is 401 without credentials', async () => {
    expect((await erase(rt.url, alice.id, {})).status).toBe(401);
  });

  it.each([
    ['characters outside the id alphabet', 'a.b'],
    ['an id over 64 characters', 'a'.repeat(65)],
  ])('is 400 with a code for %s', async (_name, id) => {
    const res = await erase(rt.url, id, ALICE);
    expect(res.status).toBe(400);
    expect((JSON.parse(res.body) as { error: { code: string } }).error.code).toMatch(/^[A-Z_]+$/);
  });

  it('erases every key of the session for its owner (204), after which it is gone (404)', async () => {
    const res = await erase(rt.url, alice.id, ALICE);
    expect(res).toEqual({ status: 204, body: '' });
    const k = keys.session(alice.id);
    expect(await redis.exists(k.owner, k.turns, k.seq, k.pin, k.summary)).toBe(0);
    expect((await fetch(`${rt.url}/v1/sessions/${alice.id}`, { headers: ALICE })).status).toBe(404);
    expect((await erase(rt.url, alice.id, ALICE)).status).toBe(404);
    expect((await alice.say('hello again')).status).toBe(404); // the id is not reborn
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${rt.url}/docs/json`)).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    expect(Object.keys(doc.paths['/v1/sessions/{id}']?.delete?.responses ?? {})).toEqual(
      expect.arrayContaining(['204', '400', '401', '404', '503']),
    );
  });
});
