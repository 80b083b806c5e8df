/** Table-driven checks of the memory bounds of managed Redis and of memory in status.redis.shards. */
import { describe, expect, it } from '@jest/globals';
import type { RedisSpecInput } from '../../api/index.js';
import { testCbd } from '../fixtures.js';
import type { ChatbotDeployment } from '../types.js';
import { redisArgs } from './container.js';
import type { MemoryResources } from './memory.js';
import {
  headroomBytes,
  maxmemoryBytes,
  memoryArgs,
  parseMemoryInfo,
  quantityBytes,
  roundedUsage,
  shardMemoryStatus,
} from './memory.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

function cbd(redis?: RedisSpecInput): ChatbotDeployment {
  return testCbd(redis ? { redis } : {});
}

/** The value after `flag` in an argument list. */
function argAfter(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

describe('quantityBytes', () => {
  it.each([
    ['256Mi', 256 * MiB],
    ['1Gi', GiB],
    ['1.5Gi', 1.5 * GiB],
    ['500M', 500e6],
    ['128974848', 128974848],
    [268435456, 268435456],
    [' 64Mi ', 64 * MiB],
    ['', undefined],
    ['lots', undefined],
    ['-1Gi', undefined],
    ['0', undefined],
    [undefined, undefined],
  ])('%p -> %p', (q, want) => {
    expect(quantityBytes(q)).toBe(want);
  });
});

describe('maxmemoryBytes: the limit minus headroom for fork, buffers and the process', () => {
  const limits = (memory: string, request?: string): MemoryResources => ({
    limits: { memory },
    ...(request ? { requests: { memory: request } } : {}),
  });
  it.each<[string, MemoryResources | undefined, number | undefined]>([
    ['256Mi (the default): 25 % headroom', limits('256Mi'), 192 * MiB],
    ['1Gi: 25 % headroom', limits('1Gi'), 768 * MiB],
    ['4Gi: 25 % headroom', limits('4Gi'), 3 * GiB],
    ['128Mi: the 32 MiB floor', limits('128Mi'), 96 * MiB],
    ['100Mi: the 32 MiB floor', limits('100Mi'), 68 * MiB],
    ['48Mi: never under half the limit', limits('48Mi'), 24 * MiB],
    ['the limit wins over the request', limits('512Mi', '128Mi'), 384 * MiB],
    ['no limit: 75 % of the request', { requests: { memory: '1Gi' } }, 768 * MiB],
    ['no limit and no request: unbounded', { requests: { cpu: '100m' } }, undefined],
    ['no resources at all', undefined, undefined],
    ['an unreadable limit falls back to the request', limits('much', '256Mi'), 192 * MiB],
  ])('%s', (_what, resources, want) => {
    expect(maxmemoryBytes(resources)).toBe(want);
  });

  it('headroom grows with the limit, never under 32 MiB, never over half', () => {
    for (const budget of [16 * MiB, 64 * MiB, 256 * MiB, 8 * GiB]) {
      const h = headroomBytes(budget);
      expect(h).toBeLessThanOrEqual(budget / 2);
      expect(h).toBeGreaterThanOrEqual(Math.min(32 * MiB, budget / 2));
      expect(h).toBeGreaterThanOrEqual(Math.min(budget / 4, budget / 2));
    }
  });
});

describe('memoryArgs', () => {
  it('with a limit: maxmemory, volatile-ttl, and replica buffers inside the headroom', () => {
    const args = memoryArgs({ limits: { memory: '256Mi' } });
    expect(argAfter(args, '--maxmemory')).toBe(String(192 * MiB));
    expect(argAfter(args, '--maxmemory-policy')).toBe('volatile-ttl');
    expect(argAfter(args, '--maxmemory-samples')).toBe('64');
    const i = args.indexOf('--client-output-buffer-limit');
    expect(args.slice(i + 1, i + 5)).toEqual(['replica', String(32 * MiB), String(16 * MiB), '60']);
  });

  it('without any memory figure: the policy, no maxmemory', () => {
    const args = memoryArgs(undefined);
    expect(args).not.toContain('--maxmemory');
    expect(argAfter(args, '--maxmemory-policy')).toBe('volatile-ttl');
  });

  it('64 samples per eviction, except a standalone Redis without storage, whose restart would empty it', () => {
    const samples = (spec: RedisSpecInput): string | undefined =>
      argAfter(redisArgs(cbd(spec).spec.sessions.redis), '--maxmemory-samples');
    expect(samples({ topology: 'cluster' })).toBe('64');
    expect(samples({ topology: 'cluster', storage: { size: '1Gi' } })).toBe('64');
    expect(samples({ topology: 'standalone', storage: { size: '1Gi' } })).toBe('64');
    expect(samples({ topology: 'standalone' })).toBe('10');
    expect(samples({})).toBe('10'); // the default: standalone, no storage
  });

  it('the default Redis resources get maxmemory 192 MiB', () => {
    expect(argAfter(redisArgs(cbd().spec.sessions.redis), '--maxmemory')).toBe(String(192 * MiB));
  });
});

describe('memory in status', () => {
  const info = [
    '# Memory',
    'used_memory:104857600',
    'used_memory_human:100.00M',
    'maxmemory:201326592',
    '',
  ].join('\r\n');

  it('reads used_memory and maxmemory from INFO memory', () => {
    expect(parseMemoryInfo(info)).toEqual({ usedBytes: 104857600, maxBytes: 201326592 });
    expect(parseMemoryInfo('# Memory\r\nused_memory:1\r\n')).toBeUndefined();
  });

  it.each([
    // step = floor(192 MiB / 100) = 2013265 bytes; 100 MiB is 52 steps and a bit
    [{ usedBytes: 104857600, maxBytes: 201326592 }, 52 * 2013265],
    [{ usedBytes: 52 * 2013265, maxBytes: 201326592 }, 52 * 2013265],
    [{ usedBytes: 5 * MiB + 7, maxBytes: 0 }, 5 * MiB],
  ])('rounds used memory down to 1 %% of maxmemory (1 MiB without): %p', (u, used) => {
    expect(roundedUsage(u)).toEqual({ usedBytes: used, maxBytes: u.maxBytes });
  });

  it('status fields only for a shard whose memory was read', () => {
    const shard = { shard: 0, replicas: [], slots: 0, slotRanges: [], linkState: 'unknown' as const };
    expect(shardMemoryStatus(shard)).toEqual({});
    expect(shardMemoryStatus({ ...shard, memory: { usedBytes: 10, maxBytes: 20 } })).toEqual({
      usedMemoryBytes: 10,
      maxMemoryBytes: 20,
    });
  });
});
