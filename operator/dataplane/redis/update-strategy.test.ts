import { describe, expect, it } from '@jest/globals';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { RedisSpecInput } from '../../api/index.js';
import { testCbd } from '../fixtures.js';
import { desiredRedisObjects } from './desired.js';

const strategies = (redis: RedisSpecInput): (string | undefined)[] =>
  desiredRedisObjects(testCbd({ redis }))
    .filter((o) => o instanceof StatefulSet)
    .map((s) => s.spec?.updateStrategy?.type);

describe('Redis StatefulSet update strategy', () => {
  it.each<[string, RedisSpecInput, string[]]>([
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
