import { describe, expect, it } from '@jest/globals';
import { cacheOf, contextFor, noRequests } from '../component-support.js';
import { testCbd } from '../fixtures.js';
import type { KubeObject } from '../../workload/types.js';
import { RedisComponent } from './component.js';
import { redisPasswordSecret } from './secret.js';

const secretOf = (cbd: ReturnType<typeof testCbd>): KubeObject => ({
  ...(redisPasswordSecret(cbd, 'pw').toJSON() as KubeObject),
  metadata: { ...(redisPasswordSecret(cbd, 'pw').toJSON() as KubeObject).metadata, uid: 'secret-uid' },
});

function component(objects: { statefulSets?: KubeObject[]; secrets?: KubeObject[] } = {}) {
  const kube = noRequests();
  const caches = {
    statefulSets: cacheOf(...(objects.statefulSets ?? [])),
    services: cacheOf(),
    podDisruptionBudgets: cacheOf(),
    pods: cacheOf(),
    secrets: cacheOf(...(objects.secrets ?? [])),
  };
  return { kube, redis: new RedisComponent(kube, { caches }) };
}

describe('RedisComponent', () => {
  it('external Redis: no children, RedisReady External, REDIS_* from the user Secret, no request', async () => {
    const cbd = testCbd({ redis: { mode: 'external', secretRef: { name: 'ext' } } });
    const { kube, redis } = component();
    const c = await redis.reconcile(contextFor(cbd));
    expect(c.children).toEqual([]);
    expect(c.conditions).toEqual([
      expect.objectContaining({ type: 'RedisReady', status: 'True', reason: 'External' }),
    ]);
    expect(c.env?.map((e) => e.name)).toEqual([
      'REDIS_URL',
      'REDIS_CLUSTER_NODES',
      'REDIS_PASSWORD',
      'REDIS_TLS',
    ]);
    expect(c.podAnnotations).toBeUndefined();
    expect(kube.calls).toEqual([]);
  });

  it('an invalid spec blocks: the condition alone, no children, no password Secret', async () => {
    const cbd = testCbd({ redis: { mode: 'external' } });
    const { kube, redis } = component();
    const c = await redis.reconcile(contextFor(cbd));
    expect(c.children).toEqual([]);
    expect(c.conditions?.[0]).toMatchObject({ status: 'False', reason: 'ExternalSecretInvalid' });
    expect(kube.calls).toEqual([]);
  });

  it('standalone at steady state: the four objects as plain JSON, status from the cache, no request', async () => {
    const cbd = testCbd();
    const sts = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'support-redis', namespace: 'bots' },
      status: { readyReplicas: 1 },
    };
    const { kube, redis } = component({ statefulSets: [sts], secrets: [secretOf(cbd)] });
    const c = await redis.reconcile(contextFor(cbd));
    expect(c.children?.map((ch) => `${ch.resource.kind}/${ch.object.metadata.name}`)).toEqual([
      'StatefulSet/support-redis',
      'Service/support-redis-headless',
      'Service/support-redis',
      'PodDisruptionBudget/support-redis',
    ]);
    // Plain objects (what server-side apply sends), each read from its informer cache.
    expect(c.children?.every((ch) => Object.getPrototypeOf(ch.object) === Object.prototype)).toBe(true);
    expect(c.children?.every((ch) => ch.cache !== undefined)).toBe(true);
    // Standalone without storage also warns, after RedisReady: Degraded/NoRedundancy.
    expect(c.conditions?.map((x) => `${x.type}=${x.status}/${x.reason}`)).toEqual([
      'RedisReady=True/Ready',
      'Degraded=True/NoRedundancy',
    ]);
    expect(c.status).toEqual({
      redis: { shards: [{ index: 0, primary: 'support-redis-0', replicas: 0, ready: true }] },
    });
    expect(c.podAnnotations).toEqual({ 'chatfleet.io/redis-password-hash': expect.any(String) });
    expect(c.requeueAfterMs).toBeUndefined();
    expect(c.events).toBeUndefined();
    // The second pass is the same, and still issues no request (prune ran once, nothing to delete).
    expect(await redis.reconcile(contextFor(cbd))).toEqual(c);
    expect(kube.calls).toEqual([]);
    expect(redis.fleetsTracked).toBe(1);
    redis.forget('bots/support');
    expect(redis.fleetsTracked).toBe(0);
  });

  it('standalone without replicas ready: RedisReady False, shard not ready', async () => {
    const cbd = testCbd();
    const { redis } = component({ secrets: [secretOf(cbd)] });
    const c = await redis.reconcile(contextFor(cbd));
    expect(c.conditions?.[0]).toMatchObject({ type: 'RedisReady', status: 'False' });
    expect(c.status).toMatchObject({ redis: { shards: [{ ready: false }] } });
  });

  it('cluster without pods yet: children for every shard, no condition, a requeue, no Redis traffic', async () => {
    const cbd = testCbd({ redis: { topology: 'cluster', shards: 3, replicasPerShard: 0 } });
    const { kube, redis } = component({ secrets: [secretOf(cbd)] });
    const c = await redis.reconcile(contextFor(cbd));
    expect(c.children?.filter((ch) => ch.resource.kind === 'StatefulSet')).toHaveLength(3);
    // replicasPerShard 0: the NoRedundancy warning, after the Redis conditions.
    expect(c.conditions?.map((x) => x.reason)).toEqual(['NoRedundancy']);
    expect(c.requeueAfterMs).toBe(5000);
    expect(kube.calls).toEqual([]);
  });
});
