import { describe, expect, it } from '@jest/globals';
import type { V1StatefulSet } from '@kubernetes/client-node';
import type { DataplaneCbd, RedisSpec } from '../types.js';
import { desiredRedisObjects } from './desired.js';

const cbd = (redis: RedisSpec): DataplaneCbd => ({
  metadata: { name: 'support', namespace: 'bots', uid: 'uid-1' },
  spec: { sessions: { redis } },
});

const strategies = (redis: RedisSpec): (string | undefined)[] =>
  desiredRedisObjects(cbd(redis))
    .filter((o): o is V1StatefulSet => o.kind === 'StatefulSet')
    .map((s) => s.spec?.updateStrategy?.type);

describe('Redis StatefulSet update strategy', () => {
  it.each<[string, RedisSpec, string[]]>([
    // The operator rolls cluster pods itself (roll-plan.ts): Kubernetes must never replace one.
    [
      'cluster shards are OnDelete',
      { topology: 'cluster', shards: 3, replicasPerShard: 1 },
      ['OnDelete', 'OnDelete', 'OnDelete'],
    ],
    // One pod, nothing to fail over to: Kubernetes replaces it as before.
    ['standalone stays RollingUpdate', { topology: 'standalone' }, ['RollingUpdate']],
  ])('%s', (_what, redis, expected) => {
    expect(strategies(redis)).toEqual(expected);
  });
});
