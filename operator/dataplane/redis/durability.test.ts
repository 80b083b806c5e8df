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
import { redundancyWarning } from './validate.js';
import { loadConfig } from '../../../bot-runtime/config.js';
import { overlayCore } from '../../workload/status.js';
import type { ConditionInput } from '../../workload/status.js';

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
