/**
 * Redis Cluster failover against REAL password-protected redis-servers this test spawns on
 * loopback (requirepass + masterauth, like the managed pods):
 * - bootstrap 3 x 1 and a 3 -> 4 scale-out with AUTH: MIGRATE ... AUTH moves keys between nodes
 *   that refuse unauthenticated clients;
 * - a failover forced (CLUSTER FAILOVER TAKEOVER) on the SOURCE's replica mid-migration, and one
 *   on the TARGET's replica: the next passes resume from wherever the keys are; every key readable;
 * - a dead primary (SIGKILL): Redis promotes its replica; the replacement node (blank, new id) is
 *   attached as a replica of the new primary and the dead id forgotten on every node.
 * The lost-shard case (no replica) is redis-failover-lost-shard.test.ts; shared setup in
 * redis-failover-support.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { RedisClusterManager } from '../redis/cluster.js';
import type { ClusterPod } from '../redis/cluster.js';
import { clusterInfo, withClient } from './redis-cluster-support.js';
import {
  allKeys,
  authed,
  cluster,
  converge,
  countReadable,
  halfMigrate,
  HOT,
  hotKey,
  nodeId,
  own,
  ownerOf,
  PASSWORD,
  readableKeys,
  roles,
  servers,
  slotOf,
  spawnShardPods,
  takeover,
} from './redis-failover-support.js';

describe('Redis Cluster with AUTH: migration and failover (spawned password-protected redis-servers)', () => {
  const manager = new RedisClusterManager({
    password: PASSWORD,
    convergeTimeoutMs: 30_000,
    maxSlotsPerPass: 1,
  });
  const full = new RedisClusterManager({ password: PASSWORD, convergeTimeoutMs: 30_000 });
  let pods: ClusterPod[] = [];

  beforeAll(async () => {
    pods = await spawnShardPods(servers, 4, 'shard');
  }, 60_000);

  afterAll(async () => {
    await servers.stopAll();
  });

  it('refuses clients without the password (the nodes really are protected)', async () => {
    const r = new Redis({
      host: '127.0.0.1',
      port: pods[0]!.port,
      lazyConnect: true,
      enableReadyCheck: false,
      maxRetriesPerRequest: 1,
    });
    await r.connect();
    try {
      await expect(r.call('CLUSTER', 'INFO')).rejects.toThrow(/NOAUTH/);
    } finally {
      r.disconnect();
    }
  });

  it('bootstraps 3 x 1 with AUTH and stores every key', async () => {
    const three = pods.slice(0, 6);
    const passes = await converge(full, { shards: 3, replicasPerShard: 1 }, three);
    expect(passes.at(-1)?.condition.reason).toBe('Ready');
    const c = cluster(three[0]!.port);
    try {
      for (let i = 0; i < allKeys.length; i += 500) {
        await Promise.all(allKeys.slice(i, i + 500).map((k) => c.set(k, `v:${k}`)));
      }
      expect(await countReadable(c, allKeys)).toBe(allKeys.length);
    } finally {
      c.disconnect();
    }
  });

  it('a failover of the migration SOURCE mid-migration (3 -> 4 scale-out) resumes; every key readable', async () => {
    // Start the scale-out: one pass meets shard 3 and moves one slot (maxSlotsPerPass 1).
    const first = await manager.reconcile({ shards: 4, replicasPerShard: 1 }, pods);
    expect(first.condition.reason).toBe('Rebalancing');
    const hotSlot = await slotOf(pods[0]!.port, hotKey(0));
    const before = await roles(pods);
    // The shard that owns the hot slot, and shard 3's primary as the target.
    const source = await ownerOf(hotSlot, before);
    expect(source?.primary).toBeDefined();
    const target = before.get('3')!.primary!;
    await halfMigrate(source!.primary!.port, target.port, hotSlot);
    const onTarget = await authed(target.port, async (r) =>
      Number(await r.call('CLUSTER', 'COUNTKEYSINSLOT', hotSlot)),
    );
    expect(onTarget).toBe(HOT / 2);
    await takeover(source!.replica!.port);

    const passes = await converge(full, { shards: 4, replicasPerShard: 1 }, pods);
    expect(passes.at(-1)?.condition).toMatchObject({ status: 'True', reason: 'Ready' });
    // Resumed from the keys each side holds, or, when the target had lost sight of the slot's owner
    // (it ignores gossip about a slot it imports), re-pointed to the new owner and completed.
    expect(passes.flatMap((p) => p.actions).join('\n')).toMatch(
      new RegExp(
        `slot ${hotSlot}: (resumed migration|imported from \\w+, owned by \\w+; migration re-pointed)`,
      ),
    );
    expect(await readableKeys(pods[0]!.port)).toBe(allKeys.length);
  });

  it('a failover of the migration TARGET mid-migration resumes too; every key readable', async () => {
    const hotSlot = await slotOf(pods[0]!.port, hotKey(0));
    const now = await roles(pods);
    const source = (await ownerOf(hotSlot, now))?.primary;
    const targetShard = [...now.entries()].find(([, s]) => s.primary !== source)!;
    await halfMigrate(source!.port, targetShard[1].primary!.port, hotSlot);
    await takeover(targetShard[1].replica!.port);

    const passes = await converge(full, { shards: 4, replicasPerShard: 1 }, pods);
    expect(passes.at(-1)?.condition).toMatchObject({ status: 'True', reason: 'Ready' });
    expect(await readableKeys(pods[0]!.port)).toBe(allKeys.length);
  });

  it('a killed primary: Redis promotes its replica, the replacement node is attached to it, the dead id forgotten', async () => {
    const now = await roles(pods);
    const shard0 = now.get('0')!;
    const deadPod = shard0.primary!;
    const deadId = await nodeId(deadPod.port);
    const started = Date.now();
    await servers.stop(deadPod.port, 'SIGKILL');
    // The pod is replaced by a blank node with a new id (a new port here, like a new pod IP).
    const replacement: ClusterPod = { ...deadPod, port: await servers.spawn() };
    const healed = pods.map((p) => (p === deadPod ? replacement : p));
    const passes = await converge(full, { shards: 4, replicasPerShard: 1 }, healed, 30);
    const healMs = Date.now() - started;
    process.stdout.write(`killed primary healed in ${healMs} ms over ${passes.length} passes\n`);
    expect(passes.at(-1)?.condition).toMatchObject({ status: 'True', reason: 'Ready' });
    const after = await roles(healed);
    expect(after.get('0')?.primary).toEqual(shard0.replica);
    expect(after.get('0')?.replica).toEqual(replacement);
    const survivor = shard0.replica!;
    expect((await own(replacement.port))?.primaryId).toBe(await nodeId(survivor.port));
    for (const p of healed) {
      const text = await withClient(p.port, async (r) => String(await r.call('CLUSTER', 'NODES')), PASSWORD);
      expect(text).not.toContain(deadId);
      expect((await clusterInfo(p.port, PASSWORD)).get('cluster_state')).toBe('ok');
    }
    expect(await readableKeys(survivor.port)).toBe(allKeys.length);
  });
});
