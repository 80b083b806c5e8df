/**
 * Sessions while the Redis Cluster gains a shard, against REAL redis-servers (the test
 * environment's blank cluster nodes), resharded by the operator's own cluster manager.
 *
 * The case the real node found: after a scale-out the operator rolls the bot pods to a seed list
 * that includes the new shard's pod, which is still a blank node when they start. Such a client
 * starts with no slot map and learns it later; its reads must still return the right history.
 * (With MULTI/EXEC they came back as MOVED errors, timeouts or another command's replies.)
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { RedisClusterManager } from '../../operator/dataplane/redis/cluster.js';
import type { ClusterPod } from '../../operator/dataplane/redis/cluster.js';
import { resetRedisClusterNodes } from '../../e2e/support/redis-cluster.js';
import { connectRedis, createRedisClient, isRedisReady, type RedisClient } from '../redis/redis-client.js';
import { ANONYMOUS_OWNER } from '../sessions/keys.js';
import { SessionStore, type NewTurn, type SessionRef } from '../sessions/session-store.js';
import { requireEnv, runId } from './support/env.js';

const SESSIONS = 60;

function clusterNodes(): Array<{ host: string; port: number }> {
  return requireEnv('REDIS_CLUSTER_NODES')
    .split(',')
    .map((hp) => ({ host: hp.split(':')[0] ?? '127.0.0.1', port: Number(hp.split(':')[1]) }));
}

function turn(message: string): NewTurn {
  const at = new Date().toISOString();
  return { at, message, reply: 'ok', intent: 'greet', confidence: 1, source: 'intent', modelVersion: 'v1' };
}

async function becomesReady(client: RedisClient, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!isRedisReady(client) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return isRedisReady(client);
}

describe('session history across a Redis Cluster scale-out (real redis-servers)', () => {
  const nodes = clusterNodes().slice(0, 4);
  const pods = (shards: number): ClusterPod[] =>
    nodes
      .slice(0, shards)
      .map((n, i) => ({ shard: i, ordinal: 0, host: n.host, port: n.port, name: `s${i}` }));
  const manager = new RedisClusterManager({ convergeTimeoutMs: 30_000 });
  const clients: RedisClient[] = [];
  const store = (client: RedisClient): SessionStore =>
    new SessionStore(client, { ttlSeconds: 600, maxTurns: 20, opTimeoutMs: 2000 });
  const open = (seed: { host: string; port: number }): RedisClient => {
    const c = createRedisClient(
      { mode: 'cluster', nodes: [seed], password: undefined },
      { commandTimeoutMs: 2000 },
    );
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    await resetRedisClusterNodes(clusterNodes());
    const boot = await manager.reconcile({ shards: 3, replicasPerShard: 0 }, pods(3));
    expect(boot.condition.reason).toBe('Ready');
  });

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await resetRedisClusterNodes(clusterNodes());
  });

  it('a client seeded with the still-blank new shard reads every session correctly once it joined', async () => {
    const writer = open(nodes[0]!);
    expect(await connectRedis(writer, 5000)).toBe(true);
    const sessions = Array.from({ length: SESSIONS }, () => runId('reshard'));
    const ref = (id: string, isNew = false): SessionRef => ({ id, owner: ANONYMOUS_OWNER, isNew });
    for (const id of sessions) {
      await store(writer).appendTurn(ref(id, true), turn('first'));
      await store(writer).appendTurn(ref(id), turn('second'));
    }
    // Like a bot pod started by the rollout: its only seed is the new shard's blank node.
    const late = open(nodes[3]!);
    await connectRedis(late, 1000);
    const blank = new Redis(nodes[3]!);
    try {
      expect((await blank.call('CLUSTER', 'INFO')) as string).toContain('cluster_known_nodes:1');
    } finally {
      blank.disconnect();
    }

    let pass;
    do pass = await manager.reconcile({ shards: 4, replicasPerShard: 0 }, pods(4));
    while (pass.condition.reason === 'Rebalancing');
    expect(pass.condition.message).toBe('4 shards, 16384 slots covered, cluster_state:ok');
    expect(await becomesReady(late, 10_000)).toBe(true);

    const turnsSeenBy = async (reader: RedisClient): Promise<string[][]> =>
      (await Promise.all(sessions.map((id) => store(reader).view(ref(id))))).map(
        (v) => v?.turns.map((t) => `${t.seq}:${t.message}`) ?? ['not found'],
      );
    expect(await turnsSeenBy(late)).toEqual(sessions.map(() => ['1:first', '2:second']));
    // And it writes where the others read: the next turn of every session, from the late client.
    await Promise.all(sessions.map((id) => store(late).appendTurn(ref(id), turn('third'))));
    expect(await turnsSeenBy(writer)).toEqual(sessions.map(() => ['1:first', '2:second', '3:third']));
  });
});
