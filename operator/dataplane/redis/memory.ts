/**
 * Memory of managed Redis, bounded on purpose (docs/dataplane.md "Memory").
 *
 * - maxmemoryBytes / memoryArgs: PURE. `maxmemory` comes from the container's memory limit minus
 *   headroom for what Redis does not count against maxmemory: the copy-on-write pages of a fork
 *   (replica full sync, AOF rewrite), replica output buffers, allocator fragmentation and the
 *   process itself. Eviction is `volatile-ttl`: the key nearest its expiry goes first. Every key
 *   the bots write carries a TTL, and the answer cache's is half the session TTL by default
 *   (bot-runtime ANSWER_CACHE_TTL_SECONDS), so cache entries are evicted before live sessions.
 * - readMemoryUsage / withMemory: `used_memory` versus `maxmemory` of each shard's primary, for
 *   status.redis.shards (I/O through ioredis, bounded per node).
 */
import { Redis } from 'ioredis';
import { parseQuantity } from '../../controller/drift.js';
import type { ClusterReconcileResult } from './cluster.js';
import type { ClusterPod } from './cluster-node.js';
import type { ClusterShardState, RedisShardStatus } from '../types.js';

/** The memory fields of spec.sessions.redis.resources (a partial one in tests). */
export interface MemoryResources {
  requests?: { memory?: string | number; cpu?: string | number };
  limits?: { memory?: string | number; cpu?: string | number };
}

const MiB = 2 ** 20;
/** Share of the limit kept out of maxmemory: room for one fork's copy-on-write under moderate writes. */
export const HEADROOM_SHARE = 0.25;
/** Headroom never below this: the process, Lua, client buffers and the replication backlog do not shrink with the limit. */
export const HEADROOM_FLOOR_BYTES = 32 * MiB;
export const EVICTION_POLICY = 'volatile-ttl';
/**
 * Keys Redis samples per eviction: its maximum. Eviction picks the best of a pool of 16 candidates
 * that persists across evictions, refilled by this many random keys each time. Once warm the pool
 * is full of cache entries, but its first eviction after a start (or once its candidates are gone)
 * sees only one sample: with 10 keys and sessions at 64 % of the keys with a TTL, 1 % of such cold
 * starts evicted a session key (the real-node suite lost one session that way). With 64 it is
 * 0.64^64, about 4e-13. The cost is sampling 54 more keys per eviction, microseconds.
 */
export const EVICTION_SAMPLES = 64;
/**
 * What a standalone Redis without storage keeps: the sample count it has always been started with.
 * Changing its arguments restarts its one pod, and that restart empties it, so an operator upgrade
 * would lose every session of every such fleet to save one key in a rare cold start.
 */
export const EPHEMERAL_STANDALONE_EVICTION_SAMPLES = 10;

/** Bytes of a memory quantity ("256Mi", "1Gi", "500M", 268435456), or undefined if it is none. */
export function quantityBytes(q: string | number | undefined): number | undefined {
  if (q === undefined) return undefined;
  const bytes = typeof q === 'number' ? q : parseQuantity(String(q).trim());
  return bytes !== undefined && Number.isFinite(bytes) && bytes > 0 ? Math.floor(bytes) : undefined;
}

/** The memory the container may use: its limit, else its request (then the limit is the node's), else unknown. */
export function memoryBudgetBytes(resources: MemoryResources | undefined): number | undefined {
  return quantityBytes(resources?.limits?.memory) ?? quantityBytes(resources?.requests?.memory);
}

/** The headroom kept out of maxmemory for a container budget. PURE. */
export function headroomBytes(budget: number): number {
  return Math.min(
    Math.floor(budget / 2),
    Math.max(Math.floor(budget * HEADROOM_SHARE), HEADROOM_FLOOR_BYTES),
  );
}

/**
 * maxmemory for a container budget: budget - max(25 %, 32 MiB), but never under half the budget
 * (a tiny limit still gets a usable Redis). undefined without a budget: nothing to bound against.
 */
export function maxmemoryBytes(resources: MemoryResources | undefined): number | undefined {
  const budget = memoryBudgetBytes(resources);
  return budget === undefined ? undefined : budget - headroomBytes(budget);
}

/**
 * redis-server arguments that bound memory. The replica output buffer limit is half the headroom:
 * replica buffers are outside maxmemory, so without it a slow replica could grow the primary past its
 * limit (Redis' default hard limit, 256 MB, is the whole default container). A replica that exceeds
 * it is disconnected and resyncs instead.
 */
export function memoryArgs(
  resources: MemoryResources | undefined,
  samples: number = EVICTION_SAMPLES,
): string[] {
  const args = ['--maxmemory-policy', EVICTION_POLICY, '--maxmemory-samples', String(samples)];
  const budget = memoryBudgetBytes(resources);
  if (budget === undefined) return args;
  const headroom = headroomBytes(budget);
  const hard = Math.floor(headroom / 2);
  const soft = Math.floor(headroom / 4);
  return [
    '--maxmemory',
    String(budget - headroom),
    ...args,
    '--client-output-buffer-limit',
    'replica',
    String(hard),
    String(soft),
    '60',
  ];
}

export interface MemoryUsage {
  usedBytes: number;
  maxBytes: number;
}

/** used_memory and maxmemory from INFO memory; undefined when either is missing. PURE. */
export function parseMemoryInfo(text: string): MemoryUsage | undefined {
  const field = (name: string): number | undefined => {
    const m = new RegExp(`^${name}:(\\d+)\\s*$`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const usedBytes = field('used_memory');
  const maxBytes = field('maxmemory');
  return usedBytes === undefined || maxBytes === undefined ? undefined : { usedBytes, maxBytes };
}

/**
 * used_memory rounded down to 1 % of maxmemory (to 1 MiB without maxmemory): status is rewritten
 * only when memory moves by that much, not on every cluster pass. PURE.
 */
export function roundedUsage(u: MemoryUsage): MemoryUsage {
  const step = u.maxBytes > 0 ? Math.max(1, Math.floor(u.maxBytes / 100)) : MiB;
  return { usedBytes: Math.floor(u.usedBytes / step) * step, maxBytes: u.maxBytes };
}

/** INFO memory of one pod, bounded; undefined if it does not answer in time. */
async function podMemory(
  pod: ClusterPod,
  password: string,
  timeoutMs: number,
): Promise<MemoryUsage | undefined> {
  const client = new Redis({
    host: pod.host,
    port: pod.port,
    password,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined); // the rejected command reports it
  try {
    await client.connect();
    return parseMemoryInfo(String(await client.call('INFO', 'memory')));
  } catch {
    return undefined; // memory is informative: an unreachable pod never fails the reconcile
  } finally {
    client.disconnect();
  }
}

/**
 * `result` with each shard's memory (its primary's used_memory and maxmemory) filled in, read from
 * the primaries in parallel, each bounded. A pass without shards is returned as it is.
 */
export async function withShardMemory(
  result: ClusterReconcileResult | undefined,
  pods: readonly ClusterPod[],
  password: string,
  timeoutMs = 1_000,
): Promise<ClusterReconcileResult | undefined> {
  if (!result || result.shards.length === 0) return result;
  const byName = new Map(pods.filter((p) => p.name !== undefined).map((p) => [p.name, p]));
  const shards = await Promise.all(
    result.shards.map(async (s): Promise<ClusterShardState> => {
      const pod = s.primary === undefined ? undefined : byName.get(s.primary);
      const u = pod && (await podMemory(pod, password, timeoutMs));
      return u ? { ...s, memory: roundedUsage(u) } : s;
    }),
  );
  return { ...result, shards };
}

/** The status.redis.shards memory fields of a shard, when its memory was read. PURE. */
export function shardMemoryStatus(shard: ClusterShardState): Partial<RedisShardStatus> {
  if (!shard.memory) return {};
  return { usedMemoryBytes: shard.memory.usedBytes, maxMemoryBytes: shard.memory.maxBytes };
}
