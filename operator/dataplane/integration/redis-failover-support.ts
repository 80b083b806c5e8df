/**
 * Shared setup of the Redis Cluster failover integration tests (redis-failover-*.test.ts): REAL
 * password-protected redis-servers spawned on loopback (requirepass + masterauth, like the managed
 * pods), the keys they store, and the moves a test makes by hand (a half-done migration, a forced
 * takeover) before the manager's passes resume.
 */
import { Cluster } from 'ioredis';
import type { RedisClusterManager } from '../redis/cluster.js';
import type {
  ClusterPod,
  ClusterReconcileResult,
  ClusterTopology,
  PreviousReport,
} from '../redis/cluster.js';
import { parseClusterInfo } from '../redis/cluster-nodes.js';
import { ownNode, RedisServers, sleep, withClient } from './redis-cluster-support.js';

export const PASSWORD = `h5-${Math.random().toString(36).slice(2)}`;
export const KEYS = 4_000;
/** Keys in one hash slot, migrated by hand to stop mid-way. */
export const HOT = 300;
export const prefix = `h5redis-${Date.now().toString(36)}`;
export const key = (i: number): string => `${prefix}:${i}`;
export const hotKey = (i: number): string => `{${prefix}-hot}:${i}`;
export const allKeys = [
  ...Array.from({ length: KEYS }, (_, i) => key(i)),
  ...Array.from({ length: HOT }, (_, i) => hotKey(i)),
];

export const servers = new RedisServers({ password: PASSWORD, nodeTimeoutMs: 2000, tag: 'h5redis' });

/** `shards` x (1 primary + 1 replica) pods on freshly spawned servers, named `<name>-<shard>-<ordinal>`. */
export async function spawnShardPods(
  from: RedisServers,
  shards: number,
  name: string,
): Promise<ClusterPod[]> {
  const ports = await Promise.all(Array.from({ length: shards * 2 }, () => from.spawn()));
  return ports.map((port, i) => {
    const [shard, ordinal] = [Math.floor(i / 2), i % 2];
    return { shard, ordinal, host: '127.0.0.1', port, name: `${name}-${shard}-${ordinal}` };
  });
}

export const authed = <T>(port: number, fn: Parameters<typeof withClient<T>>[1]): Promise<T> =>
  withClient(port, fn, PASSWORD);

export function cluster(port: number): Cluster {
  return new Cluster([{ host: '127.0.0.1', port }], { redisOptions: { password: PASSWORD } });
}

/** How many of `keys` read back their value `v:<key>`. */
export async function countReadable(c: Cluster, keys: string[]): Promise<number> {
  let ok = 0;
  for (let start = 0; start < keys.length; start += 500) {
    const batch = keys.slice(start, start + 500);
    const values = await Promise.all(batch.map((k) => c.get(k)));
    ok += values.filter((v, j) => v === `v:${batch[j]}`).length;
  }
  return ok;
}

/** How many of `allKeys` read back through a cluster client seeded at `port`. */
export async function readableKeys(port: number): Promise<number> {
  const c = cluster(port);
  try {
    return await countReadable(c, allKeys);
  } finally {
    c.disconnect();
  }
}

export async function nodeId(port: number): Promise<string> {
  return authed(port, async (r) => String(await r.call('CLUSTER', 'MYID')));
}

export async function slotOf(port: number, k: string): Promise<number> {
  return authed(port, async (r) => Number(await r.call('CLUSTER', 'KEYSLOT', k)));
}

export const own = (port: number): ReturnType<typeof ownNode> => ownNode(port, PASSWORD);

/**
 * Passes as the operator would requeue them, until Ready, `max` passes or `deadlineMs` (below the tests'
 * 120 s timeout, so a stuck cluster prints the nodes' own view instead of a bare Jest timeout);
 * `previous` as the operator would read it back.
 */
export async function converge(
  manager: RedisClusterManager,
  topology: ClusterTopology,
  pods: ClusterPod[],
  max = 15,
  opts: { tag?: string; feedBack?: boolean; deadlineMs?: number } = {},
): Promise<ClusterReconcileResult[]> {
  const passes: ClusterReconcileResult[] = [];
  let previous: PreviousReport = {};
  const deadline = Date.now() + (opts.deadlineMs ?? 80_000);
  for (let i = 0; i < max && Date.now() < deadline; i++) {
    const r = await manager.reconcile(topology, pods, undefined, opts.feedBack ? previous : {});
    passes.push(r);
    process.stdout.write(
      `${opts.tag ?? 'pass'} ${i}: ${r.condition.reason}: ${r.condition.message} [${r.actions.join('; ')}]\n`,
    );
    previous = { reason: r.condition.reason, message: r.condition.message };
    if (r.condition.status === 'True') return passes;
    await sleep(1000);
  }
  process.stdout.write(
    `not converged after ${passes.length} passes; the nodes' own view:\n${await describeNodes(pods)}`,
  );
  return passes;
}

/** Each pod's cluster_state and CLUSTER NODES, for a failure that only shows under load (CI). */
async function describeNodes(pods: ClusterPod[]): Promise<string> {
  const lines = await Promise.all(
    pods.map(async (p) => {
      const view = await authed(p.port, async (r) => {
        const info = parseClusterInfo(String(await r.call('CLUSTER', 'INFO')));
        const nodes = String(await r.call('CLUSTER', 'NODES'));
        return `cluster_state:${info.get('cluster_state')} epoch:${info.get('cluster_current_epoch')}\n${nodes}`;
      }).catch((err: unknown) => `unreachable: ${String(err)}`);
      return `--- ${p.name} :${p.port} ${view}`;
    }),
  );
  return lines.join('\n') + '\n';
}

/** Force a failover mid-migration: IMPORTING/MIGRATING set, half the hot slot's keys moved. */
export async function halfMigrate(sourcePort: number, targetPort: number, slot: number): Promise<void> {
  const [sourceId, targetId] = [await nodeId(sourcePort), await nodeId(targetPort)];
  await authed(targetPort, (r) => r.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', sourceId));
  await authed(sourcePort, async (r) => {
    await r.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', targetId);
    const keys = (await r.call('CLUSTER', 'GETKEYSINSLOT', slot, HOT / 2)) as string[];
    await r.call('MIGRATE', '127.0.0.1', targetPort, '', 0, 5000, 'AUTH', PASSWORD, 'KEYS', ...keys);
  });
}

/** Until the replica finished its initial sync (diskless sync waits repl-diskless-sync-delay, 5 s). */
async function waitInSync(replicaPort: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const info = await authed(replicaPort, async (r) => parseClusterInfo(await r.info('replication')));
    if (info.get('master_link_status') === 'up' && info.get('master_sync_in_progress') === '0') return;
    await sleep(100);
  }
  throw new Error(`replica on ${replicaPort} never finished its sync`);
}

/** CLUSTER FAILOVER TAKEOVER on the replica, once in sync; until it says master. */
export async function takeover(replicaPort: number): Promise<void> {
  await waitInSync(replicaPort);
  await authed(replicaPort, (r) => r.call('CLUSTER', 'FAILOVER', 'TAKEOVER'));
  for (let i = 0; i < 100; i++) {
    const role = await authed(replicaPort, async (r) => String(await r.call('ROLE')));
    if (role.startsWith('master')) return;
    await sleep(100);
  }
  throw new Error(`replica on ${replicaPort} did not take over`);
}

export interface ShardRoles {
  primary?: ClusterPod;
  replica?: ClusterPod;
}

/** Each shard's live primary and replica pod, from the cluster itself. */
export async function roles(pods: ClusterPod[]): Promise<Map<string, ShardRoles>> {
  const byShard = new Map<string, ShardRoles>();
  for (const p of pods) {
    const self = await own(p.port);
    const entry = byShard.get(String(p.shard)) ?? {};
    if (self?.flags.includes('master') && self.slots.length > 0) entry.primary = p;
    else entry.replica = p;
    byShard.set(String(p.shard), entry);
  }
  return byShard;
}

/** The shard whose primary owns `slot` now. */
export async function ownerOf(
  slot: number,
  shards: Map<string, ShardRoles>,
): Promise<ShardRoles | undefined> {
  for (const s of shards.values()) {
    if ((await own(s.primary!.port))?.slots.includes(slot)) return s;
  }
  return undefined;
}
