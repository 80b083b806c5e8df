import { describe, expect, it } from '@jest/globals';
import { cluster, EVEN3, EVEN4, shards } from './cluster-fixtures.js';
import type { PodNode } from './cluster-fixtures.js';
import {
  emptyLog,
  lossResult,
  passResult,
  rollResult,
  syncingResult,
  waitingForPods,
} from './cluster-result.js';
import type { PassLog } from './cluster-result.js';
import type { ClusterEvent } from './cluster-types.js';

const topology3 = { shards: 3, replicasPerShard: 1 };
const failover: ClusterEvent = { type: 'Warning', reason: 'RedisFailover', note: 'forced' };
const log = (more: Partial<PassLog> = {}): PassLog => ({ ...emptyLog(), actions: ['meet s1-0'], ...more });
/** Shard 2's slots still held by a node that is not a pod: its pods are empty masters. */
const unserved: PodNode[] = [
  ...shards(EVEN3).filter((p) => p.shard < 2),
  { id: 'n20', shard: 2, ordinal: 0 },
  { id: 'r20', shard: 2, ordinal: 1, of: 'n20' },
];

describe('passResult: the RedisReady verdict of a pass', () => {
  it.each<[string, PodNode[], number, boolean, PassLog, object]>([
    [
      'problems first, with the Events of the pass',
      shards(EVEN3),
      3,
      true,
      log({ problems: ['shard 0: waiting', 'slot 7 x'], events: [failover] }),
      {
        reason: 'ClusterUnhealthy',
        message: 'shard 0: waiting; slot 7 x',
        events: [failover],
        requeueAfterMs: 5_000,
      },
    ],
    [
      'cluster_state not ok everywhere',
      shards(EVEN3),
      3,
      false,
      log({ events: [failover] }),
      { reason: 'ClusterUnhealthy', message: 'cluster_state is not ok on every node yet', events: [] },
    ],
    [
      'slots served by a node that is not a pod: never Ready (so the shard is never pruned)',
      unserved,
      3,
      true,
      log(),
      {
        reason: 'WaitingForPods',
        message:
          '5461 slots are served by a node that is not a current Redis pod (restarting or being deleted)',
      },
    ],
    [
      'moves left: Rebalancing, requeued at once',
      shards(EVEN3),
      3,
      true,
      log({ remainingMoves: 2048 }),
      { reason: 'Rebalancing', message: 'rebalancing: 2048 slots still to migrate', requeueAfterMs: 1_000 },
    ],
    [
      'moves left while shards beyond the spec still own slots: says which are drained',
      shards(EVEN4),
      4,
      true,
      log({ remainingMoves: 10 }),
      { reason: 'Rebalancing', message: 'rebalancing: 10 slots still to migrate (draining shards 3..3)' },
    ],
    [
      'Ready, resync in a minute, with the Events of the pass',
      shards(EVEN3),
      3,
      true,
      log({ events: [failover] }),
      {
        status: 'True',
        reason: 'Ready',
        message: '3 shards, 16384 slots covered, cluster_state:ok',
        events: [failover],
        requeueAfterMs: 60_000,
      },
    ],
  ])('%s', (_what, pods, shardCount, ok, passLog, expected) => {
    const result = passResult(cluster(pods), shardCount, ok, passLog, topology3);
    const { status, reason, message } = result.condition;
    expect({
      status,
      reason,
      message,
      events: result.events,
      requeueAfterMs: result.requeueAfterMs,
    }).toMatchObject(expected);
    expect(result.actions).toEqual(['meet s1-0']);
    expect(result.shards).toHaveLength(shardCount);
  });
});

describe('waitingForPods', () => {
  const pods = cluster(shards(EVEN3)).map((v) => v.pod);
  it.each<[string, typeof pods, string | undefined, object]>([
    [
      'not rolling: WaitingForPods',
      pods.slice(0, 5),
      undefined,
      { reason: 'WaitingForPods', requeue: 5_000 },
    ],
    [
      'mid-roll (an outdated pod left): RollingUpdate with the progress',
      [{ ...pods[0]!, outdated: true }, ...pods.slice(1, 5)],
      undefined,
      {
        reason: 'RollingUpdate',
        message: 'rolling: 4/6 pods updated; waiting for Redis pods: shard 2 pod 1',
        requeue: 2_000,
      },
    ],
    [
      'the last pod of a roll (none outdated, the previous pass said RollingUpdate)',
      pods.slice(0, 5),
      'RollingUpdate',
      {
        reason: 'RollingUpdate',
        message: 'rolling: 5/6 pods updated; waiting for Redis pods: shard 2 pod 1',
      },
    ],
  ])('%s', (_what, present, previousReason, expected) => {
    const r = waitingForPods(topology3, present, ['shard 2 pod 1'], { reason: previousReason });
    expect({ ...r.condition, requeue: r.requeueAfterMs }).toMatchObject(expected);
    expect(r.actions).toEqual([]);
  });
});

describe('the results after Ready', () => {
  const views = cluster(shards(EVEN3));
  const ready = passResult(views, 3, true, log(), topology3);

  it('replicas still syncing: not Ready (no redundancy yet), RollingUpdate mid-roll', () => {
    const syncing = syncingResult(['s0-1'], views, ready, log({ events: [failover] }), {});
    expect(syncing.condition).toMatchObject({
      reason: 'ClusterUnhealthy',
      message: 'replicas still syncing: s0-1 (their shards have no redundancy until then)',
    });
    expect(syncing.events).toEqual([failover]);
    const rolling = syncingResult(['s0-1'], views, ready, log(), { reason: 'RollingUpdate' });
    expect(rolling.condition.message).toBe(
      'rolling: 6/6 pods updated; replicas still syncing: s0-1 (their shards have no redundancy until then)',
    );
    expect(rolling.requeueAfterMs).toBe(2_000);
  });

  it('a roll step: its actions appended, only its own Events, the pods to delete', () => {
    const passLog = log({ events: [failover] });
    const restarted: ClusterEvent = { type: 'Normal', reason: 'RedisPodRestarted', note: 'x' };
    const step = {
      message: 'rolling: 0/6',
      actions: ['delete pod s0-1'],
      events: [restarted],
      deletePods: ['s0-1'],
    };
    const r = rollResult({ ...step, held: false }, ready, passLog);
    expect(r).toMatchObject({
      actions: ['meet s1-0', 'delete pod s0-1'],
      events: [restarted],
      deletePods: ['s0-1'],
    });
    expect(r.requeueAfterMs).toBe(2_000);
    expect(rollResult({ ...step, held: true }, ready, log()).requeueAfterMs).toBe(60_000);
  });

  it('lost shards: ShardDataLost with only the data-loss Event', () => {
    const r = lossResult('shard 1 lost its data', log({ events: [failover] }), views, topology3);
    expect(r.condition).toMatchObject({ reason: 'ShardDataLost', message: 'shard 1 lost its data' });
    expect(r.events).toEqual([
      { type: 'Warning', reason: 'RedisShardDataLost', note: 'shard 1 lost its data' },
    ]);
    expect(r.shards).toHaveLength(3);
  });
});
