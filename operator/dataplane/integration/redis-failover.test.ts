/**
 * Redis Cluster failover against REAL password-protected redis-servers this test spawns on
 * loopback (requirepass + masterauth, like the managed pods):
 * - bootstrap 3 x 1 and a 3 -> 4 scale-out with AUTH: MIGRATE ... AUTH moves keys between nodes
 *   that refuse unauthenticated clients;
 * - a failover forced (CLUSTER FAILOVER TAKEOVER) on the SOURCE's replica mid-migration, and one
 *   on the TARGET's replica: the next passes resume from wherever the keys are; every key readable;
 * - a dead primary (SIGKILL): Redis promotes its replica; the replacement node (blank, new id) is
 *   attached as a replica of the new primary and the dead id forgotten on every node.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { RedisClusterManager } from '../redis/cluster.js';
import type { ClusterPod, ClusterReconcileResult, ClusterTopology } from '../redis/cluster.js';
import { parseClusterInfo, parseClusterNodes } from '../redis/cluster-nodes.js';

const PASSWORD = `h5-${Math.random().toString(36).slice(2)}`;
const KEYS = 4_000;
const HOT = 300; // keys in one hash slot, migrated by hand to stop mid-way
const prefix = `h5redis-${Date.now().toString(36)}`;
const key = (i: number): string => `${prefix}:${i}`;
const hotKey = (i: number): string => `{${prefix}-hot}:${i}`;

interface Spawned {
  proc: ChildProcess;
  dir: string;
  port: number;
}
const spawned: Spawned[] = [];

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function freeClusterPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 30000);
    if ((await portFree(port)) && (await portFree(port + 10000))) return port;
  }
  throw new Error('no free port pair for redis-server');
}

function client(port: number, password: string | undefined = PASSWORD): Redis {
  return new Redis({ host: '127.0.0.1', port, password, lazyConnect: true, maxRetriesPerRequest: 1 });
}

async function withClient<T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = client(port);
  await r.connect();
  try {
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

async function spawnRedis(): Promise<number> {
  const port = await freeClusterPort();
  const dir = mkdtempSync(join(tmpdir(), 'h5redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes'];
  args.push(
    '--cluster-config-file',
    join(dir, 'nodes.conf'),
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
  );
  args.push('--cluster-node-timeout', '2000', '--requirepass', PASSWORD, '--masterauth', PASSWORD);
  const proc = spawn('redis-server', args, { stdio: 'ignore' });
  spawned.push({ proc, dir, port });
  for (let i = 0; i < 100; i++) {
    const ok = await withClient(port, (r) => r.ping()).catch(() => undefined);
    if (ok === 'PONG') return port;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`spawned redis-server on ${port} did not answer PING`);
}

async function stop(s: Spawned, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (s.proc.exitCode === null && s.proc.signalCode === null) {
    const exited = new Promise((resolve) => s.proc.once('exit', resolve));
    s.proc.kill(signal);
    await exited;
  }
  rmSync(s.dir, { recursive: true, force: true });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function cluster(port: number): Cluster {
  return new Cluster([{ host: '127.0.0.1', port }], { redisOptions: { password: PASSWORD } });
}

async function countReadable(c: Cluster, keys: string[]): Promise<number> {
  let ok = 0;
  for (let start = 0; start < keys.length; start += 500) {
    const batch = keys.slice(start, start + 500);
    const values = await Promise.all(batch.map((k) => c.get(k)));
    ok += values.filter((v, j) => v === `v:${batch[j]}`).length;
  }
  return ok;
}

const allKeys = [
  ...Array.from({ length: KEYS }, (_, i) => key(i)),
  ...Array.from({ length: HOT }, (_, i) => hotKey(i)),
];

async function nodeId(port: number): Promise<string> {
  return withClient(port, async (r) => String(await r.call('CLUSTER', 'MYID')));
}

async function slotOf(port: number, k: string): Promise<number> {
  return withClient(port, async (r) => Number(await r.call('CLUSTER', 'KEYSLOT', k)));
}

/** Passes until Ready or `max`, as the operator would requeue them. */
async function converge(
  manager: RedisClusterManager,
  topology: ClusterTopology,
  pods: ClusterPod[],
  max = 15,
): Promise<ClusterReconcileResult[]> {
  const passes: ClusterReconcileResult[] = [];
  for (let i = 0; i < max; i++) {
    const r = await manager.reconcile(topology, pods);
    passes.push(r);
    process.stdout.write(
      `pass ${i}: ${r.condition.reason}: ${r.condition.message} [${r.actions.join('; ')}]\n`,
    );
    if (r.condition.status === 'True') break;
    await sleep(1000);
  }
  return passes;
}

/** Force a failover mid-migration: IMPORTING/MIGRATING set, half the hot slot's keys moved, then TAKEOVER. */
async function halfMigrate(sourcePort: number, targetPort: number, slot: number): Promise<void> {
  const [sourceId, targetId] = [await nodeId(sourcePort), await nodeId(targetPort)];
  await withClient(targetPort, (r) => r.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', sourceId));
  await withClient(sourcePort, async (r) => {
    await r.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', targetId);
    const keys = (await r.call('CLUSTER', 'GETKEYSINSLOT', slot, HOT / 2)) as string[];
    await r.call('MIGRATE', '127.0.0.1', targetPort, '', 0, 5000, 'AUTH', PASSWORD, 'KEYS', ...keys);
  });
}

/** Until the replica finished its initial sync (diskless sync waits repl-diskless-sync-delay, 5 s). */
async function waitInSync(replicaPort: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const info = await withClient(replicaPort, async (r) => parseClusterInfo(await r.info('replication')));
    if (info.get('master_link_status') === 'up' && info.get('master_sync_in_progress') === '0') return;
    await sleep(100);
  }
  throw new Error(`replica on ${replicaPort} never finished its sync`);
}

async function takeover(replicaPort: number): Promise<void> {
  await waitInSync(replicaPort);
  await withClient(replicaPort, (r) => r.call('CLUSTER', 'FAILOVER', 'TAKEOVER'));
  for (let i = 0; i < 100; i++) {
    const role = await withClient(replicaPort, async (r) => String(await r.call('ROLE')));
    if (role.startsWith('master')) return;
    await sleep(100);
  }
  throw new Error(`replica on ${replicaPort} did not take over`);
}

/** Each shard's live primary and replica pod, from the cluster itself. */
async function roles(
  pods: ClusterPod[],
): Promise<Map<string, { primary?: ClusterPod; replica?: ClusterPod }>> {
  const byShard = new Map<string, { primary?: ClusterPod; replica?: ClusterPod }>();
  for (const p of pods) {
    const text = await withClient(p.port, async (r) => String(await r.call('CLUSTER', 'NODES')));
    const self = parseClusterNodes(text).find((n) => n.flags.includes('myself'));
    const entry = byShard.get(String(p.shard)) ?? {};
    if (self?.flags.includes('master') && self.slots.length > 0) entry.primary = p;
    else entry.replica = p;
    byShard.set(String(p.shard), entry);
  }
  return byShard;
}

describe('Redis Cluster with AUTH: migration and failover (spawned password-protected redis-servers)', () => {
  const manager = new RedisClusterManager({
    password: PASSWORD,
    convergeTimeoutMs: 30_000,
    maxSlotsPerPass: 1,
  });
  const full = new RedisClusterManager({ password: PASSWORD, convergeTimeoutMs: 30_000 });
  let pods: ClusterPod[] = [];

  beforeAll(async () => {
    const ports = await Promise.all(Array.from({ length: 8 }, () => spawnRedis()));
    pods = ports.map((port, i) => ({
      shard: Math.floor(i / 2),
      ordinal: i % 2,
      host: '127.0.0.1',
      port,
      name: `shard-${Math.floor(i / 2)}-${i % 2}`,
    }));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(spawned.map((s) => stop(s)));
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
    let source: { primary?: ClusterPod; replica?: ClusterPod } | undefined;
    for (const s of before.values()) {
      const text = await withClient(s.primary!.port, async (r) => String(await r.call('CLUSTER', 'NODES')));
      const self = parseClusterNodes(text).find((n) => n.flags.includes('myself'));
      if (self?.slots.includes(hotSlot)) source = s;
    }
    expect(source?.primary).toBeDefined();
    const target = before.get('3')!.primary!;
    await halfMigrate(source!.primary!.port, target.port, hotSlot);
    const onTarget = await withClient(target.port, async (r) =>
      Number(await r.call('CLUSTER', 'COUNTKEYSINSLOT', hotSlot)),
    );
    expect(onTarget).toBe(HOT / 2);
    await takeover(source!.replica!.port);

    const passes = await converge(full, { shards: 4, replicasPerShard: 1 }, pods);
    expect(passes.at(-1)?.condition).toMatchObject({ status: 'True', reason: 'Ready' });
    expect(passes.flatMap((p) => p.actions).join('\n')).toMatch(
      new RegExp(`slot ${hotSlot}: resumed migration`),
    );
    const c = cluster(pods[0]!.port);
    try {
      expect(await countReadable(c, allKeys)).toBe(allKeys.length);
    } finally {
      c.disconnect();
    }
  });

  it('a failover of the migration TARGET mid-migration resumes too; every key readable', async () => {
    const hotSlot = await slotOf(pods[0]!.port, hotKey(0));
    const now = await roles(pods);
    let source: ClusterPod | undefined;
    for (const s of now.values()) {
      const text = await withClient(s.primary!.port, async (r) => String(await r.call('CLUSTER', 'NODES')));
      if (
        parseClusterNodes(text)
          .find((n) => n.flags.includes('myself'))
          ?.slots.includes(hotSlot)
      )
        source = s.primary;
    }
    const targetShard = [...now.entries()].find(([, s]) => s.primary !== source)!;
    await halfMigrate(source!.port, targetShard[1].primary!.port, hotSlot);
    await takeover(targetShard[1].replica!.port);

    const passes = await converge(full, { shards: 4, replicasPerShard: 1 }, pods);
    expect(passes.at(-1)?.condition).toMatchObject({ status: 'True', reason: 'Ready' });
    const c = cluster(pods[0]!.port);
    try {
      expect(await countReadable(c, allKeys)).toBe(allKeys.length);
    } finally {
      c.disconnect();
    }
  });

  it('a killed primary: Redis promotes its replica, the replacement node is attached to it, the dead id forgotten', async () => {
    const now = await roles(pods);
    const shard0 = now.get('0')!;
    const deadPod = shard0.primary!;
    const deadId = await nodeId(deadPod.port);
    const started = Date.now();
    await stop(
      spawned.find((s) => s.port === deadPod.port)!,
      'SIGKILL',
    );
    // The pod is replaced by a blank node with a new id (a new port here, like a new pod IP).
    const port = await spawnRedis();
    const replacement: ClusterPod = { ...deadPod, port };
    const healed = pods.map((p) => (p === deadPod ? replacement : p));
    const passes = await converge(full, { shards: 4, replicasPerShard: 1 }, healed, 30);
    const healMs = Date.now() - started;
    process.stdout.write(`killed primary healed in ${healMs} ms over ${passes.length} passes\n`);
    expect(passes.at(-1)?.condition).toMatchObject({ status: 'True', reason: 'Ready' });
    const after = await roles(healed);
    expect(after.get('0')?.primary).toEqual(shard0.replica);
    expect(after.get('0')?.replica).toEqual(replacement);
    const survivor = shard0.replica!;
    const view = await withClient(replacement.port, async (r) => String(await r.call('CLUSTER', 'NODES')));
    const self = parseClusterNodes(view).find((n) => n.flags.includes('myself'));
    expect(self?.primaryId).toBe(await nodeId(survivor.port));
    for (const p of healed) {
      const text = await withClient(p.port, async (r) => String(await r.call('CLUSTER', 'NODES')));
      expect(text).not.toContain(deadId);
      const info = await withClient(p.port, async (r) =>
        parseClusterInfo(String(await r.call('CLUSTER', 'INFO'))),
      );
      expect(info.get('cluster_state')).toBe('ok');
    }
    const c = cluster(survivor.port);
    try {
      expect(await countReadable(c, allKeys)).toBe(allKeys.length);
    } finally {
      c.disconnect();
    }
  });
});

describe('Redis Cluster without replicas: a dead primary is reported as lost data before its slots are reassigned', () => {
  const manager = new RedisClusterManager({ password: PASSWORD, convergeTimeoutMs: 20_000 });
  let pods: ClusterPod[] = [];
  const lostPrefix = `${prefix}-lost`;
  const lostKeys = Array.from({ length: 600 }, (_, i) => `${lostPrefix}:${i}`);

  beforeAll(async () => {
    const ports = await Promise.all(Array.from({ length: 3 }, () => spawnRedis()));
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

  it('ShardDataLost first (naming shard and node), then the new empty node gets the slots; the other shards keep their keys', async () => {
    const dead = pods[1]!;
    const deadId = await nodeId(dead.port);
    const deadSlots = await withClient(dead.port, async (r) => {
      const text = String(await r.call('CLUSTER', 'NODES'));
      return parseClusterNodes(text).find((n) => n.flags.includes('myself'))?.slots.length ?? 0;
    });
    await stop(
      spawned.find((s) => s.port === dead.port)!,
      'SIGKILL',
    );
    const replacement: ClusterPod = { ...dead, port: await spawnRedis() };
    const healed = pods.map((p) => (p === dead ? replacement : p));
    const topology = { shards: 3, replicasPerShard: 0 };
    const passes: ClusterReconcileResult[] = [];
    let previous: { reason?: string; message?: string } = {};
    for (let i = 0; i < 20; i++) {
      const r = await manager.reconcile(topology, healed, undefined, previous);
      passes.push(r);
      process.stdout.write(`lost pass ${i}: ${r.condition.reason}: ${r.condition.message}\n`);
      previous = { reason: r.condition.reason, message: r.condition.message };
      if (r.condition.status === 'True') break;
      await sleep(1000);
    }
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
