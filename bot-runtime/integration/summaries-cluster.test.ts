import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Cluster } from 'ioredis';
import { FleetKeys } from '../sessions/keys.js';
import { SessionStore } from '../sessions/session-store.js';
import { SummaryStore } from '../sessions/summary-store.js';
import { ensureRedisCluster, requireEnv, runId } from './support/env.js';
import { llmTurn } from './support/worker.js';

/**
 * The summary and erasure scripts on the test environment's 6-node Redis Cluster: every key of a
 * session shares its hash tag, so each multi-key script runs on the one node that owns it (a key
 * missing from the tag would fail here with CROSSSLOT). summaries.test.ts covers standalone.
 */

describe('summaries and erasure on Redis Cluster', () => {
  let redis: Cluster;
  const fleetId = `test/${runId('sum-cluster')}`;
  const keys = new FleetKeys(fleetId);
  let sessions: SessionStore;
  let summaries: SummaryStore;

  beforeAll(async () => {
    const nodes = requireEnv('REDIS_CLUSTER_NODES');
    await ensureRedisCluster(nodes);
    redis = new Cluster(
      nodes.split(',').map((n) => ({ host: n.split(':')[0]!, port: Number(n.split(':')[1]) })),
    );
    await redis.ping(); // the store fails fast while the client is still connecting
    sessions = new SessionStore(redis, { ttlSeconds: 600, maxTurns: 100, fleetId });
    summaries = new SummaryStore(redis, fleetId, { ttlSeconds: 600, opTimeoutMs: 2000 });
  });
  afterAll(() => redis?.disconnect());

  it('writes a summary while turns arrive, keeping every turn, on many slots', async () => {
    // sessions spread over the cluster's three primaries (slots 0-5460, 5461-10922, 10923-16383)
    const ids = Array.from({ length: 12 }, () => runId('s'));
    const slots = await Promise.all(ids.map((id) => redis.cluster('KEYSLOT', keys.session(id).turns)));
    expect(new Set(slots.map((slot) => Math.floor(Number(slot) / 5462))).size).toBeGreaterThan(1);
    for (const id of ids) {
      for (let i = 1; i <= 10; i++)
        await sessions.appendTurn({ id, owner: 'alice', isNew: i === 1 }, llmTurn(i));
      const source = await summaries.source(id);
      expect(source?.turns.map((t) => t.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      await Promise.all(
        [11, 12, 13].map((i) => sessions.appendTurn({ id, owner: 'alice', isNew: false }, llmTurn(i))),
      );
      const write = { text: 'first ten', through: 10, expectedThrough: source!.through, taskId: `t-${id}` };
      expect(await summaries.write(id, write)).toBe('done');
      expect(await summaries.write(id, write)).toBe('duplicate');
      expect(await summaries.write(id, { ...write, text: 'stale', through: 13, expectedThrough: 0 })).toBe(
        'conflict',
      );
      const view = await sessions.view({ id, owner: 'alice', isNew: false });
      expect(view?.turns.map((t) => t.seq)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
      expect(view?.summary).toEqual({ text: 'first ten', through: 10 });
    }
  });

  it('erases every key of a session, only for its owner', async () => {
    const id = runId('e');
    for (let i = 1; i <= 3; i++)
      await sessions.appendTurn({ id, owner: 'alice', isNew: i === 1 }, llmTurn(i));
    const k = keys.session(id);
    await redis.hset(k.summary, 'text', 'secret', 'through', '1');
    expect(await sessions.erase({ id, owner: 'bob' })).toBe(false);
    expect(await redis.exists(k.turns)).toBe(1);
    expect(await sessions.erase({ id, owner: 'alice' })).toBe(true);
    for (const key of [k.owner, k.turns, k.seq, k.pin, k.summary])
      expect([key, await redis.exists(key)]).toEqual([key, 0]);
  });
});
