/**
 * Redis Cluster without replicas, against REAL password-protected redis-servers spawned on
 * loopback: a dead primary is reported as lost data (ShardDataLost) before its slots are
 * reassigned to the shard's new empty node; the other shards keep their keys. Shared setup in
 * redis-failover-support.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RedisClusterManager } from '../redis/cluster.js';
import type { ClusterPod } from '../redis/cluster.js';
import {
  cluster,
  converge,
  nodeId,
  own,
  PASSWORD,
  prefix,
  servers,
  slotOf,
} from './redis-failover-support.js';

describe('Redis Cluster without replicas: a dead primary is reported as lost data before its slots are reassigned', () => {
  const manager = new RedisClusterManager({ password: PASSWORD, convergeTimeoutMs: 20_000 });
  let pods: ClusterPod[] = [];
  const lostPrefix = `${prefix}-lost`;
  const lostKeys = Array.from({ length: 600 }, (_, i) => `${lostPrefix}:${i}`);

  beforeAll(async () => {
    const ports = await Promise.all(Array.from({ length: 3 }, () => servers.spawn()));
    pods = ports.map((port, i) => ({ shard: i, ordinal: 0, host: '127.0.0.1', port, name: `solo-${i}-0` }));
    const passes = await converge(manager, { shards: 3, replicasPerShard: 0 }, pods);
    expect(passes.at(-1)?.condition.reason).toBe('Ready');
    const c = cluster(pods[0]!.port);
    try {
      await Promise.all(lostKeys.map((k) => c.set(k, `v:${k}`)));
    } finally {
      c.disconnect();
    }
  }, 60_000);

  afterAll(async () => {
    await servers.stopAll();
  });

  it('ShardDataLost first (naming shard and node), then the new empty node gets the slots; the other shards keep their keys', async () => {
    const dead = pods[1]!;
    const deadId = await nodeId(dead.port);
    const deadSlots = (await own(dead.port))?.slots.length ?? 0;
    await servers.stop(dead.port, 'SIGKILL');
    const replacement: ClusterPod = { ...dead, port: await servers.spawn() };
    const healed = pods.map((p) => (p === dead ? replacement : p));
    // Each pass reads back what the previous one reported, as the operator does from the CR's status.
    const passes = await converge(manager, { shards: 3, replicasPerShard: 0 }, healed, 20, {
      tag: 'lost pass',
      feedBack: true,
    });
    const reasons = passes.map((p) => p.condition.reason);
    const firstLoss = reasons.indexOf('ShardDataLost');
    expect(firstLoss).toBeGreaterThanOrEqual(0);
    const report = passes[firstLoss]!;
    expect(report.condition.message).toContain(`shard 1 lost its data`);
    expect(report.condition.message).toContain(`(node ${deadId})`);
    expect(report.events).toEqual([
      expect.objectContaining({ type: 'Warning', reason: 'RedisShardDataLost' }),
    ]);
    // Nothing was reassigned in the reporting pass: the dead id still owns the slots then.
    expect(report.actions.join(' ')).not.toContain('addslots');
    const recovery = passes.slice(firstLoss + 1);
    expect(recovery.flatMap((p) => p.events.map((e) => e.reason))).toContain('RedisShardRecovered');
    expect(passes.at(-1)?.condition).toMatchObject({ status: 'True', reason: 'Ready' });
    expect(passes.at(-1)?.shards[1]).toMatchObject({ primary: 'solo-1-0', slots: deadSlots });
    // The lost shard's keys are gone; every other key is still there.
    const c = cluster(pods[0]!.port);
    try {
      const values = await Promise.all(lostKeys.map((k) => c.get(k)));
      const slots = await Promise.all(lostKeys.map((k) => slotOf(pods[0]!.port, k)));
      const onDeadShard = (s: number): boolean => s >= 5462 && s <= 10922;
      const kept = lostKeys.filter((_, i) => !onDeadShard(slots[i]!));
      expect(values.filter((v, i) => !onDeadShard(slots[i]!) && v === `v:${lostKeys[i]}`)).toHaveLength(
        kept.length,
      );
      expect(values.filter((v, i) => onDeadShard(slots[i]!) && v !== null)).toHaveLength(0);
      expect(kept.length).toBeLessThan(lostKeys.length);
    } finally {
      c.disconnect();
    }
  }, 120_000);
});
