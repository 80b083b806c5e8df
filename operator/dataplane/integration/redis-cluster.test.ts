/**
 * Redis Cluster management against REAL redis-servers: the 6 blank cluster-enabled nodes of
 * the test environment (REDIS_CLUSTER_NODES, `npm run testenv:up -- --redis-cluster`) plus two
 * redis-servers this test spawns for scale-out. The shared nodes are reset at start and end.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Cluster } from 'ioredis';
import type { Redis } from 'ioredis';
import { RedisClusterManager } from '../redis/cluster.js';
import type { ClusterPod, ClusterReconcileResult } from '../redis/cluster.js';
import { ClusterNode } from '../redis/cluster-node.js';
import type { ClusterNodeFactory } from '../redis/cluster-node.js';
import { clusterInfo, RedisServers, withClient } from './redis-cluster-support.js';
import type { HostPort } from './redis-cluster-support.js';

function requireNodes(): HostPort[] {
  const raw = process.env.REDIS_CLUSTER_NODES;
  if (!raw) {
    throw new Error(
      'REDIS_CLUSTER_NODES is not set: start the test environment with `npm run testenv:up -- --redis-cluster` ' +
        'and `source .testenv/env` before running this integration test',
    );
  }
  const nodes = raw.split(',').map((hp) => {
    const [host = '', port = ''] = hp.trim().split(':');
    return { host, port: Number(port) };
  });
  if (nodes.length < 6) throw new Error(`REDIS_CLUSTER_NODES must list 6 nodes, got ${nodes.length}`);
  return nodes.slice(0, 6);
}

/** Back to a blank, empty, cluster-enabled node (replicas must be reset before FLUSHALL works). */
async function resetNode(hp: HostPort): Promise<void> {
  await withClient(hp, async (r) => {
    await r.call('FLUSHALL').catch(() => undefined);
    await r.call('CLUSTER', 'RESET', 'HARD');
    await r.call('FLUSHALL');
    await r.call('CLUSTER', 'RESET', 'HARD');
  });
}

const servers = new RedisServers({ nodeTimeoutMs: 5000, tag: 'chatfleet-redis' });

/** CLUSTER subcommands the manager sends, through the injected factory (real ClusterNodes). */
const sent: string[] = [];
const recordingNode: ClusterNodeFactory = (pod, c) => {
  const node = new ClusterNode(pod, c.password, c.connectTimeoutMs, c.commandTimeoutMs);
  const send = node.cluster.bind(node);
  node.cluster = (...args) => {
    sent.push(String(args[0]).toUpperCase());
    return send(...args);
  };
  return node;
};

const KEYS = 10_000;
const prefix = `dp-it-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
const key = (i: number) => `${prefix}:${i}`;

async function countOwnKeys(r: Redis): Promise<number> {
  let cursor = '0';
  let count = 0;
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    count += keys.length;
  } while (cursor !== '0');
  return count;
}

async function writeKeys(cluster: Cluster): Promise<void> {
  for (let start = 0; start < KEYS; start += 500) {
    const batch = Array.from({ length: Math.min(500, KEYS - start) }, (_, j) => start + j);
    await Promise.all(batch.map((i) => cluster.set(key(i), `value-${i}`)));
  }
}

async function countReadable(cluster: Cluster): Promise<number> {
  let ok = 0;
  for (let start = 0; start < KEYS; start += 500) {
    const batch = Array.from({ length: Math.min(500, KEYS - start) }, (_, j) => start + j);
    const values = await Promise.all(batch.map((i) => cluster.get(key(i))));
    ok += values.filter((v, j) => v === `value-${batch[j]}`).length;
  }
  return ok;
}

/** This run's keys readable through a cluster client seeded at `seed`. */
async function readableThrough(seed: HostPort): Promise<number> {
  const reader = new Cluster([seed]);
  try {
    return await countReadable(reader);
  } finally {
    reader.disconnect();
  }
}

describe('Redis Cluster management (real redis-servers)', () => {
  const nodes = requireNodes();
  const basePods: ClusterPod[] = nodes.map((n, i) => ({
    shard: Math.floor(i / 2),
    ordinal: i % 2,
    host: n.host,
    port: n.port,
    name: `shard-${Math.floor(i / 2)}-${i % 2}`,
  }));
  const manager = new RedisClusterManager({ convergeTimeoutMs: 60_000, maxSlotsPerPass: 2048 });
  let extraPods: ClusterPod[] = [];

  /** Level-based: each pass migrates at most maxSlotsPerPass slots and asks to be requeued. */
  async function whileRebalancing(
    shards: number,
    pods: ClusterPod[],
    each: (r: ClusterReconcileResult) => void,
  ): Promise<ClusterReconcileResult[]> {
    const passes: ClusterReconcileResult[] = [];
    for (let pass = 0; pass < 10; pass++) {
      const r = await manager.reconcile({ shards, replicasPerShard: 1 }, pods);
      passes.push(r);
      process.stdout.write(`pass ${pass}: ${r.condition.reason}: ${r.condition.message}\n`);
      if (r.condition.reason !== 'Rebalancing') break;
      each(r);
    }
    return passes;
  }

  beforeAll(async () => {
    await Promise.all(nodes.map(resetNode));
  });

  afterAll(async () => {
    await Promise.all(nodes.map((n) => resetNode(n).catch(() => undefined)));
    await servers.stopAll();
  });

  it('waits (and touches nothing) while a pod is missing', async () => {
    const result = await manager.reconcile({ shards: 3, replicasPerShard: 1 }, basePods.slice(0, 5));
    expect(result.condition.reason).toBe('WaitingForPods');
    expect(result.condition.message).toContain('shard 2 pod 1');
    expect(result.actions).toEqual([]);
    expect((await clusterInfo(nodes[0]!)).get('cluster_known_nodes')).toBe('1');
  });

  it('bootstraps 3 shards x (1 primary + 1 replica) to cluster_state:ok with every slot covered', async () => {
    const result = await manager.reconcile({ shards: 3, replicasPerShard: 1 }, basePods);
    expect(result.condition).toMatchObject({ type: 'RedisReady', status: 'True', reason: 'Ready' });
    for (const n of nodes) {
      const info = await clusterInfo(n);
      expect(info.get('cluster_state')).toBe('ok');
      expect(info.get('cluster_slots_assigned')).toBe('16384');
      expect(info.get('cluster_known_nodes')).toBe('6');
    }
    expect(result.shards.map((s) => [s.primary, s.replicas, s.slots])).toEqual([
      ['shard-0-0', ['shard-0-1'], 5462],
      ['shard-1-0', ['shard-1-1'], 5461],
      ['shard-2-0', ['shard-2-1'], 5461],
    ]);
    expect(result.shards.map((s) => s.slotRanges)).toEqual([['0-5461'], ['5462-10922'], ['10923-16383']]);
  });

  it('a second pass is a no-op (level-based, idempotent): it only reads', async () => {
    const recording = new RedisClusterManager({ convergeTimeoutMs: 60_000, nodeFactory: recordingNode });
    sent.length = 0;
    const result = await recording.reconcile({ shards: 3, replicasPerShard: 1 }, basePods);
    expect(result.condition.reason).toBe('Ready');
    expect(result.actions).toEqual([]);
    expect(sent.length).toBeGreaterThan(0);
    expect([...new Set(sent)].sort()).toEqual(['INFO', 'NODES']);
  });

  it('scales out to 4 shards and rebalances without losing any of 10,000 keys', async () => {
    const writer = new Cluster([{ host: nodes[0]!.host, port: nodes[0]!.port }]);
    try {
      await writeKeys(writer);
    } finally {
      writer.disconnect();
    }
    const [p0, p1] = [await servers.spawn(), await servers.spawn()];
    extraPods = [
      { shard: 3, ordinal: 0, host: '127.0.0.1', port: p0, name: 'shard-3-0' },
      { shard: 3, ordinal: 1, host: '127.0.0.1', port: p1, name: 'shard-3-1' },
    ];
    const started = process.hrtime.bigint();
    const passes = await whileRebalancing(4, [...basePods, ...extraPods], (r) =>
      expect(r.requeueAfterMs).toBe(1_000),
    );
    // A figure for the report, not an assertion.
    process.stdout.write(
      `scale-out 3->4 shards incl. rebalance of 4096 slots / ${KEYS} keys: ` +
        `${Number(process.hrtime.bigint() - started) / 1e6} ms in ${passes.length} passes\n`,
    );
    const result = passes[passes.length - 1]!;
    expect(passes.map((p) => p.condition.reason)).toEqual(['Rebalancing', 'Ready']); // 4096 moves, 2048 per pass
    expect(result.condition).toMatchObject({ status: 'True', reason: 'Ready' });
    expect(result.shards.map((s) => s.slots)).toEqual([4096, 4096, 4096, 4096]);
    expect(result.shards[3]).toMatchObject({ primary: 'shard-3-0', replicas: ['shard-3-1'] });

    expect(await readableThrough({ host: '127.0.0.1', port: p0 })).toBe(KEYS);
    const newPrimaryKeys = await withClient({ host: '127.0.0.1', port: p0 }, (r) => countOwnKeys(r));
    expect(newPrimaryKeys).toBeGreaterThan(0);
  });

  it('scales in 4 -> 3 by draining shard 3 without losing keys, then forgets its nodes', async () => {
    const passes = await whileRebalancing(3, [...basePods, ...extraPods], (r) =>
      expect(r.condition.message).toContain('draining shards 3..3'),
    );
    const drained = passes[passes.length - 1]!;
    expect(drained.condition).toMatchObject({
      reason: 'Ready',
      message: '3 shards, 16384 slots covered, cluster_state:ok',
    });
    // Shard 3 owns nothing any more, so it drops out of status (and the caller prunes it).
    expect(drained.shards.map((s) => s.shard)).toEqual([0, 1, 2]);
    expect(drained.shards.map((s) => s.slots).sort()).toEqual([5461, 5461, 5462]);

    // Count only this run's keys: other suites may share these nodes.
    const primaries = [nodes[0]!, nodes[2]!, nodes[4]!];
    const counts = await Promise.all(primaries.map((p) => withClient(p, (r) => countOwnKeys(r))));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(KEYS);
    expect(await readableThrough(nodes[0]!)).toBe(KEYS);

    // The StatefulSet of shard 3 is gone (here: its redis-servers stop); the next pass forgets them.
    await servers.stopAll();
    const after = await manager.reconcile({ shards: 3, replicasPerShard: 1 }, basePods);
    expect(after.condition.reason).toBe('Ready');
    expect(after.actions.filter((a) => a.startsWith('forget '))).toHaveLength(2);
    for (const n of nodes) expect((await clusterInfo(n)).get('cluster_known_nodes')).toBe('6');
  });
});
