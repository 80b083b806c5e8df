/**
 * Every wait of a Redis Cluster pass reads the injected clock (`now`) and sleeps through the injected
 * `sleep`, against REAL redis-servers spawned on loopback: a clock that is always past the deadline
 * makes the pass give up after one probe without sleeping; the ordinary clock lets it converge.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RedisClusterManager } from '../redis/cluster.js';
import type { ClusterPod } from '../redis/cluster.js';
import { RedisServers } from './redis-cluster-support.js';

const servers = new RedisServers({ nodeTimeoutMs: 5000, tag: 'cp-clock' });
const topology = { shards: 1, replicasPerShard: 1 };
let pods: ClusterPod[] = [];

beforeAll(async () => {
  const ports = [await servers.spawn(), await servers.spawn()];
  pods = ports.map((port, ordinal) => ({
    shard: 0,
    ordinal,
    host: '127.0.0.1',
    port,
    name: `clock-0-${ordinal}`,
  }));
}, 30_000);

afterAll(async () => {
  await servers.stopAll();
});

describe('Redis Cluster pass waits on the injected clock', () => {
  it('a clock past every deadline: one gossip probe right after MEET, no sleep, Bootstrapping', async () => {
    const sleeps: number[] = [];
    let now = 0;
    const manager = new RedisClusterManager({
      convergeTimeoutMs: 30_000,
      now: () => (now += 3_600_000),
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
    });
    const started = performance.now();
    const result = await manager.reconcile(topology, pods);
    expect(result.condition).toMatchObject({
      reason: 'Bootstrapping',
      message: 'waiting for nodes to see each other',
    });
    expect(result.actions).toEqual(['meet clock-0-1']);
    expect(sleeps).toEqual([]);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('the ordinary clock, a recording sleep: the same pass converges, polling every pollMs', async () => {
    const sleeps: number[] = [];
    const manager = new RedisClusterManager({
      convergeTimeoutMs: 30_000,
      pollMs: 50,
      sleep: (ms) => {
        sleeps.push(ms);
        return new Promise((resolve) => setTimeout(resolve, ms));
      },
    });
    const result = await manager.reconcile(topology, pods);
    expect(result.condition).toMatchObject({ status: 'True', reason: 'Ready' });
    expect(sleeps.length).toBeGreaterThan(0);
    expect(new Set(sleeps)).toEqual(new Set([50]));
  }, 60_000);
});
