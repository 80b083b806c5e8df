import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Cluster, Redis } from 'ioredis';
import { FleetKeys } from '../sessions/keys.js';
import { ensureRedisCluster, requireEnv, runId } from './support/env.js';
import { Conversation, postChat, startRuntime, type Runtime } from './support/runtime.js';

type Topology = 'standalone' | 'cluster';

function redisEnv(topology: Topology): Record<string, string> {
  return topology === 'standalone'
    ? { REDIS_URL: requireEnv('REDIS_URL') }
    : { REDIS_CLUSTER_NODES: requireEnv('REDIS_CLUSTER_NODES') };
}

function rawClient(topology: Topology): Redis | Cluster {
  if (topology === 'standalone') return new Redis(requireEnv('REDIS_URL'));
  return new Cluster(
    requireEnv('REDIS_CLUSTER_NODES')
      .split(',')
      .map((n) => ({ host: n.split(':')[0]!, port: Number(n.split(':')[1]) })),
  );
}

describe.each<Topology>(['standalone', 'cluster'])('sessions in Redis (%s)', (topology) => {
  let rt: Runtime;
  let raw: Redis | Cluster;

  beforeAll(async () => {
    if (topology === 'cluster') await ensureRedisCluster(requireEnv('REDIS_CLUSTER_NODES'));
    rt = await startRuntime({
      ...redisEnv(topology),
      SESSION_MAX_TURNS: '500',
      SESSION_TTL_SECONDS: '120',
      MAX_INFLIGHT: '1000',
      RATE_LIMIT_PER_MINUTE: '0',
    });
    raw = rawClient(topology);
  });
  afterAll(async () => {
    await rt?.close();
    await raw?.quit();
  });

  it('keeps all 100 concurrent turns of one session, in sequence order', async () => {
    const conversation = new Conversation(rt.url);
    expect((await conversation.say('hello number 100')).body.turn).toBe(1);
    const sessionId = conversation.id;
    const replies = await Promise.all(
      Array.from({ length: 100 }, (_, i) => postChat(rt.url, { message: `hello number ${i}`, sessionId })),
    );
    expect(replies.every((r) => r.status === 200)).toBe(true);
    const turnNumbers = replies.map((r) => r.body.turn as number).sort((a, b) => a - b);
    expect(turnNumbers).toEqual(Array.from({ length: 100 }, (_, i) => i + 2));

    const res = await fetch(`${rt.url}/v1/sessions/${sessionId}`);
    expect(res.status).toBe(200);
    const session = (await res.json()) as {
      turns: { seq: number; message: string; reply: string }[];
      modelVersions: string[];
    };
    expect(session.turns).toHaveLength(101);
    expect(session.turns.map((t) => t.seq)).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
    expect(new Set(session.turns.map((t) => t.message)).size).toBe(101);
    // The turn number a caller got matches the stored position of its own message.
    const bySeq = new Map(session.turns.map((t) => [t.seq, t.message]));
    replies.forEach((r, i) => expect(bySeq.get(r.body.turn as number)).toBe(`hello number ${i}`));
    expect(session.modelVersions).toEqual(['2026.11.0']);
  });

  it('bounds history to SESSION_MAX_TURNS and sets a TTL on every session key', async () => {
    await rt.close();
    rt = await startRuntime({ ...redisEnv(topology), SESSION_MAX_TURNS: '3', SESSION_TTL_SECONDS: '120' });
    const conversation = new Conversation(rt.url);
    for (let i = 0; i < 5; i++) expect((await conversation.say(`hi ${i}`)).status).toBe(200);
    const sessionId = conversation.id;
    const session = (await (await fetch(`${rt.url}/v1/sessions/${sessionId}`)).json()) as {
      turns: { seq: number }[];
    };
    expect(session.turns.map((t) => t.seq)).toEqual([3, 4, 5]);
    const keys = new FleetKeys('').session(sessionId);
    for (const key of [keys.turns, keys.seq, keys.owner]) {
      const ttl = await raw.ttl(key);
      expect(ttl).toBeGreaterThan(100);
      expect(ttl).toBeLessThanOrEqual(120);
    }
  });

  it('404 for an unknown session', async () => {
    expect((await fetch(`${rt.url}/v1/sessions/${runId('none')}`)).status).toBe(404);
  });
});
