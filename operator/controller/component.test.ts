import { describe, expect, it } from '@jest/globals';
import { emptyContributions, mergeContribution, minDefined } from './component.js';

describe('mergeContribution', () => {
  it('appends lists in order, lets the last replicas win and keeps the soonest requeue', () => {
    const a = mergeContribution(emptyContributions(), {
      env: [{ name: 'REDIS_URL', value: 'r' }],
      replicas: 3,
      requeueAfterMs: 15_000,
      finalizer: 'chatfleet.io/kafka-topics',
      status: { redis: { shards: [] } },
      conditions: [{ type: 'RedisReady', status: 'True', reason: 'RedisClusterOk', message: 'ok' }],
    });
    const b = mergeContribution(a, {
      env: [{ name: 'KAFKA_BROKERS', value: 'k' }],
      replicas: 5,
      requeueAfterMs: 2000,
      status: { autoscaling: { desiredReplicas: 5 } },
    });
    expect(b.env.map((e) => e.name)).toEqual(['REDIS_URL', 'KAFKA_BROKERS']);
    expect(b.replicas).toBe(5);
    expect(b.requeueAfterMs).toBe(2000);
    expect(b.finalizers).toEqual(['chatfleet.io/kafka-topics']);
    expect(b.status).toEqual({ redis: { shards: [] }, autoscaling: { desiredReplicas: 5 } });
    expect(b.conditions).toHaveLength(1);
  });

  it('keeps earlier replicas when a later component does not set them', () => {
    expect(mergeContribution(mergeContribution(emptyContributions(), { replicas: 4 }), {}).replicas).toBe(4);
  });

  it.each([
    [undefined, undefined, undefined],
    [5, undefined, 5],
    [undefined, 7, 7],
    [9, 3, 3],
  ])('minDefined(%s, %s) = %s', (a, b, want) => {
    expect(minDefined(a, b)).toBe(want);
  });
});
