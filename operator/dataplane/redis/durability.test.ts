/**
 * Table-driven checks of what makes managed Redis keep its data: maxmemory from the container's
 * memory, the eviction policy, persistence and identity per mode, the readiness probe, the
 * replicasPerShard default and the Degraded/NoRedundancy warning.
 */
import { describe, expect, it } from '@jest/globals';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { RedisSpecInput } from '../../api/index.js';
import { testCbd } from '../fixtures.js';
import type { ChatbotDeployment } from '../types.js';
import {
  CLUSTER_READINESS,
  FAILOVER_WAIT_SECONDS,
  FORGET_IDENTITY,
  forgetsIdentityOnStart,
  redisArgs,
  STANDALONE_READINESS,
} from './container.js';
import { desiredRedisObjects } from './desired.js';
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
import { redundancyWarning } from './validate.js';
import { loadConfig } from '../../../bot-runtime/config.js';
import { overlayCore } from '../../workload/status.js';
import type { ConditionInput } from '../../workload/status.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

function cbd(redis?: RedisSpecInput): ChatbotDeployment {
  return testCbd(redis ? { redis } : {});
}

function containerOf(redis?: RedisSpecInput): IContainer {
  const sts = desiredRedisObjects(cbd(redis)).find((o) => o instanceof StatefulSet);
  const c = sts?.spec?.template.spec?.containers[0];
  if (!c) throw new Error('no redis container');
  return c;
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
    expect(argAfter(args, '--maxmemory-samples')).toBe('10');
    const i = args.indexOf('--client-output-buffer-limit');
    expect(args.slice(i + 1, i + 5)).toEqual(['replica', String(32 * MiB), String(16 * MiB), '60']);
  });

  it('without any memory figure: the policy, no maxmemory', () => {
    const args = memoryArgs(undefined);
    expect(args).not.toContain('--maxmemory');
    expect(argAfter(args, '--maxmemory-policy')).toBe('volatile-ttl');
  });

  it('the default Redis resources get maxmemory 192 MiB', () => {
    expect(argAfter(redisArgs(cbd().spec.sessions.redis), '--maxmemory')).toBe(String(192 * MiB));
  });
});

describe('volatile-ttl evicts the answer cache first: its TTL is below the session TTL', () => {
  it.each([
    [{}, 3600, 1800],
    [{ SESSION_TTL_SECONDS: '600' }, 600, 300],
    [{ SESSION_TTL_SECONDS: '1' }, 1, 1],
    [{ SESSION_TTL_SECONDS: '600', ANSWER_CACHE_TTL_SECONDS: '60' }, 600, 60],
  ])('bot runtime env %p: session %p s, cache %p s', (env, session, cache) => {
    const c = loadConfig(env);
    expect([c.sessionTtlSeconds, c.answerCacheTtlSeconds]).toEqual([session, cache]);
  });
});

describe('persistence and identity per mode', () => {
  const storage = { size: '1Gi' };
  it.each<[string, RedisSpecInput | undefined, { aof: string; fsync?: string; forget: boolean }]>([
    ['standalone without storage', undefined, { aof: 'no', forget: false }],
    ['standalone with storage', { storage }, { aof: 'yes', fsync: 'everysec', forget: false }],
    ['cluster without storage, 1 replica', { topology: 'cluster' }, { aof: 'no', forget: true }],
    [
      'cluster without storage, 0 replicas: keeps its identity (nobody to take over)',
      { topology: 'cluster', replicasPerShard: 0 },
      { aof: 'no', forget: false },
    ],
    [
      'cluster with storage: identity on the volume with the data',
      { topology: 'cluster', storage },
      { aof: 'yes', fsync: 'everysec', forget: false },
    ],
  ])('%s', (_what, redis, want) => {
    const spec = cbd(redis).spec.sessions.redis;
    const args = redisArgs(spec);
    expect(argAfter(args, '--appendonly')).toBe(want.aof);
    expect(argAfter(args, '--appendfsync')).toBe(want.fsync);
    expect(argAfter(args, '--save')).toBe(''); // never RDB snapshots
    expect(forgetsIdentityOnStart(spec)).toBe(want.forget);
    const c = containerOf(redis);
    if (want.forget) {
      expect(c.command?.slice(0, 2)).toEqual(['sh', '-c']);
      expect(c.command?.[2]).toBe(FORGET_IDENTITY);
      expect(c.command?.[3]).toBe('redis-server'); // $0; the args follow as "$@"
    } else {
      expect(c.command).toEqual(['redis-server']);
    }
    if (spec.topology === 'cluster') expect(argAfter(args, '--cluster-config-file')).toBe('/data/nodes.conf');
  });
});

describe('a restarted node without storage waits for the failover, then starts as a new node', () => {
  it('only when it had an identity in this pod; empties it; sleeps 3 node timeouts; stops on TERM', () => {
    expect(FORGET_IDENTITY.split('\n')).toEqual([
      'if [ -s /data/nodes.conf ]; then',
      "  trap 'exit 0' TERM INT",
      '  : > /data/nodes.conf',
      '  sleep 15 & wait $!',
      'fi',
      'exec redis-server "$@"',
    ]);
    const args = redisArgs(cbd({ topology: 'cluster' }).spec.sessions.redis);
    expect(FAILOVER_WAIT_SECONDS * 1000).toBe(3 * Number(argAfter(args, '--cluster-node-timeout')));
  });
});

describe('readiness probe', () => {
  it.each<[string, RedisSpecInput | undefined, string]>([
    ['standalone', undefined, STANDALONE_READINESS],
    ['cluster', { topology: 'cluster' }, CLUSTER_READINESS],
  ])('%s: its script, authenticated through REDISCLI_AUTH', (_what, redis, script) => {
    const c = containerOf(redis);
    expect(c.readinessProbe?.exec?.command).toEqual(['sh', '-c', script]);
    expect(script).not.toMatch(/-a |--pass|--user|PASSWORD/);
    expect(c.env?.find((e) => e.name === 'REDISCLI_AUTH')?.valueFrom?.secretKeyRef?.key).toBe('password');
  });

  it('standalone needs PONG and no dataset loading', () => {
    expect(STANDALONE_READINESS).toContain('ping | grep -q PONG');
    expect(STANDALONE_READINESS).toContain("grep -q '^loading:0'");
  });

  it('cluster needs cluster_state:ok, and slots (primary) or a live master link (replica)', () => {
    expect(CLUSTER_READINESS).toContain("grep -q '^cluster_state:ok'");
    expect(CLUSTER_READINESS).toContain('*master*) [ "$#" -gt 8 ]');
    expect(CLUSTER_READINESS).toContain("*slave*) r info replication | grep -q '^master_link_status:up'");
  });
});

describe('defaults that protect data', () => {
  it('cluster mode defaults replicasPerShard to 1', () => {
    expect(cbd({ topology: 'cluster' }).spec.sessions.redis.replicasPerShard).toBe(1);
    const sts = desiredRedisObjects(cbd({ topology: 'cluster' })).filter((o) => o.kind === 'StatefulSet');
    expect(sts.map((s) => s.spec?.replicas)).toEqual([2, 2, 2]);
  });

  it.each<[string, RedisSpecInput | undefined, RegExp | undefined]>([
    ['standalone without storage', undefined, /standalone Redis without spec\.sessions\.redis\.storage/],
    ['standalone with storage', { storage: { size: '1Gi' } }, undefined],
    [
      'cluster, replicasPerShard 0',
      { topology: 'cluster', replicasPerShard: 0 },
      /replicasPerShard is 0.*lost/,
    ],
    [
      'cluster, replicasPerShard 0 with storage',
      { topology: 'cluster', replicasPerShard: 0, storage: { size: '1Gi' } },
      /replicasPerShard is 0.*down until the pod returns/,
    ],
    ['cluster, default replicas', { topology: 'cluster' }, undefined],
    ['cluster, 2 replicas', { topology: 'cluster', replicasPerShard: 2 }, undefined],
    ['external', { mode: 'external', secretRef: { name: 's' } }, undefined],
  ])('%s', (_what, redis, message) => {
    const c = redundancyWarning(cbd(redis));
    if (!message) {
      expect(c).toBeUndefined();
      return;
    }
    expect(c).toMatchObject({ type: 'Degraded', status: 'True', reason: 'NoRedundancy' });
    expect(c?.message).toMatch(message);
  });
});

describe('Degraded: NoRedundancy is a standing warning, never hiding a real problem', () => {
  const settled: ConditionInput = {
    type: 'Degraded',
    status: 'False',
    reason: 'AsExpected',
    message: 'no problem observed',
  };
  const noRedundancy: ConditionInput = {
    type: 'Degraded',
    status: 'True',
    reason: 'NoRedundancy',
    message: 'w',
  };
  const canary: ConditionInput = {
    type: 'Degraded',
    status: 'True',
    reason: 'CanaryBundleMissing',
    message: 'p',
  };
  const podProblem: ConditionInput = { type: 'Degraded', status: 'True', reason: 'CrashLoop', message: 'c' };
  it.each([
    ['alone: shown while the core sees no problem', settled, [noRedundancy], 'NoRedundancy'],
    ["a later component's real problem goes first", settled, [noRedundancy, canary], 'CanaryBundleMissing'],
    ['an earlier one too', settled, [canary, noRedundancy], 'CanaryBundleMissing'],
    ["the core's own pod problem goes first", podProblem, [noRedundancy], 'CrashLoop'],
  ])('%s', (_what, core, extra, reason) => {
    const [[degraded]] = overlayCore([core], extra);
    expect(degraded?.reason).toBe(reason);
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
