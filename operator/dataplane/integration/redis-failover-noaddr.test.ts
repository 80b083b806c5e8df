/**
 * A primary replaced at the SAME address by a new node (new id) before Redis marked it failed, against
 * REAL password-protected redis-servers spawned on loopback: the other nodes then mark the old id
 * `noaddr`, which Redis's own failure detection skips for good, so Redis never promotes its replica.
 * The operator forces it (CLUSTER FAILOVER FORCE on the replica, a Warning Event RedisFailover),
 * forgets the old id and attaches the new node as the shard's replica. Shared setup in
 * redis-failover-support.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RedisClusterManager } from '../redis/cluster.js';
import type { ClusterPod } from '../redis/cluster.js';
import { clusterInfo, ownNode, RedisServers, sleep, withClient } from './redis-cluster-support.js';
import { converge, PASSWORD, roles, spawnShardPods } from './redis-failover-support.js';

// A node timeout well above the time a replacement takes to start: the new node answers at the old
// address long before the old id could be marked failed.
const servers = new RedisServers({ password: PASSWORD, nodeTimeoutMs: 10_000, tag: 'cp-noaddr' });
const nodesText = (port: number): Promise<string> =>
  withClient(port, async (r) => String(await r.call('CLUSTER', 'NODES')), PASSWORD);

describe('Redis Cluster: a primary replaced at its own address (NOADDR) is failed over by the operator', () => {
  const manager = new RedisClusterManager({ password: PASSWORD, convergeTimeoutMs: 20_000 });
  let pods: ClusterPod[] = [];

  beforeAll(async () => {
    pods = await spawnShardPods(servers, 3, 'noaddr');
    const passes = await converge(manager, { shards: 3, replicasPerShard: 1 }, pods);
    expect(passes.at(-1)?.condition.reason).toBe('Ready');
  }, 120_000);

  afterAll(async () => {
    await servers.stopAll();
  });

  it('FAILOVER FORCE on the replica, the old id forgotten, the new node attached', async () => {
    const before = await roles(pods);
    const shard1 = before.get('1')!;
    const oldPrimary = shard1.primary!;
    const oldId = (await ownNode(oldPrimary.port, PASSWORD))!.id;
    await servers.stop(oldPrimary.port, 'SIGKILL');
    const port = await servers.spawn(oldPrimary.port);
    expect(port).toBe(oldPrimary.port);
    // The nodes reconnect to the old address, get a PONG with another id, and mark the old id noaddr.
    const survivor = shard1.replica!;
    for (let i = 0; i < 100 && !(await nodesText(survivor.port)).includes('noaddr'); i++) await sleep(100);
    expect(await nodesText(survivor.port)).toMatch(new RegExp(`${oldId} [^\\n]*noaddr`));

    const passes = await converge(manager, { shards: 3, replicasPerShard: 1 }, pods, 20);
    expect(passes.at(-1)?.condition).toMatchObject({ status: 'True', reason: 'Ready' });
    const actions = passes.flatMap((p) => p.actions);
    expect(actions).toContain(`failover force ${survivor.name} (its primary ${oldId} is NOADDR)`);
    expect(actions).toContain(`forget ${oldId}`);
    expect(passes.flatMap((p) => p.events)).toContainEqual({
      type: 'Warning',
      reason: 'RedisFailover',
      note:
        `shard 1: forced ${survivor.name} to take over from node ${oldId}, which another node replaced at the ` +
        'same address (Redis does not fail such a node over by itself)',
    });
    const after = await roles(pods);
    expect(after.get('1')).toEqual({ primary: survivor, replica: oldPrimary });
    for (const p of pods) {
      expect(await nodesText(p.port)).not.toContain(oldId);
      expect((await clusterInfo(p.port, PASSWORD)).get('cluster_state')).toBe('ok');
    }
  }, 180_000);
});
