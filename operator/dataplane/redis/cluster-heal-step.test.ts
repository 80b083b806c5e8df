import { describe, expect, it } from '@jest/globals';
import { cluster, EVEN3, shards } from './cluster-fixtures.js';
import type { GoneNode, PodNode } from './cluster-fixtures.js';
import { forcedFailoverCandidates, healViews, planHealStep } from './cluster-heal-step.js';
import type { HealStep } from './cluster-heal-step.js';
import type { PreviousReport } from './cluster-types.js';
import { planHeal } from './heal-plan.js';

/** Shard 0's primary died; its pods are two replicas of the dead id (r00, r01). */
const orphanedShard0: PodNode[] = [
  { id: 'r00', shard: 0, ordinal: 1, of: 'dead' },
  { id: 'r01', shard: 0, ordinal: 2, of: 'dead' },
  ...shards(EVEN3).filter((p) => p.shard > 0),
];
/** Shard 1 has no replica: its only pod came back as a new empty node. */
const lostShard1: PodNode[] = [
  ...shards(EVEN3, 0).filter((p) => p.shard !== 1),
  { id: 'fe11', shard: 1, ordinal: 0 },
];
const deadPrimary = (flags: string): GoneNode => ({ id: 'dead', flags, slots: '0-5461' });
const LOSS_MESSAGE =
  'shard 1 lost its data: its primary (node dea1) is gone with no replica to promote, so its 5461 slots are ' +
  "empty; the operator assigns them to the shard's new empty node on the next pass";

function step(
  pods: PodNode[],
  gone: GoneNode[],
  offsets: Record<string, number> = {},
  previous: PreviousReport = {},
): HealStep {
  const views = cluster(pods, gone);
  return planHealStep(views, planHeal(healViews(views)), new Map(Object.entries(offsets)), previous);
}

/** Shard 1's primary dea1 died with no replica; the previous pass reported `previousReason` (none: first pass). */
const afterLoss = (previousReason: string | undefined): HealStep => {
  const previous = previousReason ? { reason: previousReason, message: LOSS_MESSAGE } : {};
  return step(lostShard1, [{ id: 'dea1', flags: 'master,fail', slots: '5462-10922' }], {}, previous);
};

describe('planHealStep', () => {
  it.each<[string, () => HealStep, HealStep]>([
    ['a healthy cluster: nothing', () => step(shards(EVEN3), []), { actions: [], problems: [], events: [] }],
    [
      'FORGET a gone node that owns no slots and that no pod replicates (scale-in, replaced replica)',
      () => step(shards(EVEN3), [{ id: 'a1', flags: 'slave,fail', of: 'p0' }]),
      { actions: [{ kind: 'forget', id: 'a1' }], problems: [], events: [] },
    ],
    [
      'a gone node a pod still replicates is not forgotten (it would refuse; re-pointed first)',
      () =>
        step(
          [...shards(EVEN3).slice(0, 5), { id: 'r20', shard: 2, ordinal: 1, of: 'a1' }],
          [{ id: 'a1', flags: 'master,fail' }],
        ),
      { actions: [], problems: [], events: [] },
    ],
    [
      'a failed primary with replicas: Redis fails over by itself; the pass waits and says so',
      () => step(orphanedShard0, [deadPrimary('master,fail')]),
      {
        actions: [],
        problems: ['shard 0: waiting for Redis to promote a replica of failed node dead'],
        events: [],
      },
    ],
    [
      'a NOADDR primary (a new node at its address): FAILOVER FORCE on the replica with the most data',
      () => step(orphanedShard0, [deadPrimary('master,noaddr')], { r00: 100, r01: 250 }),
      {
        actions: [{ kind: 'forceFailover', replica: 'r01', replicaLabel: 's0-2', deadId: 'dead', shard: 0 }],
        problems: ['shard 0: waiting for Redis to promote a replica of failed node dead'],
        events: [
          {
            type: 'Warning',
            reason: 'RedisFailover',
            note:
              'shard 0: forced s0-2 to take over from node dead, which another node replaced at the same address ' +
              '(Redis does not fail such a node over by itself)',
          },
        ],
      },
    ],
    [
      'a primary with no replica left: reported as lost data first, nothing forgotten or assigned',
      () => afterLoss(undefined),
      { actions: [], problems: [], events: [], lossMessage: LOSS_MESSAGE },
    ],
    [
      'the same loss under another previous reason is not an acknowledgement',
      () => afterLoss('ClusterUnhealthy'),
      { actions: [], problems: [], events: [], lossMessage: LOSS_MESSAGE },
    ],
    [
      'the loss already reported (previous ShardDataLost names the node): FORGET it, RedisShardRecovered',
      () => afterLoss('ShardDataLost'),
      {
        actions: [{ kind: 'forget', id: 'dea1' }],
        problems: [],
        events: [
          {
            type: 'Warning',
            reason: 'RedisShardRecovered',
            note: 'shard 1: assigned its 5461 slots to its new empty node; the data of node dea1 is lost',
          },
        ],
      },
    ],
    [
      'a primary only pfail (maybe restarting with its data): left alone',
      () => step(lostShard1, [{ id: 'dea1', flags: 'master,pfail', slots: '5462-10922' }]),
      { actions: [], problems: [], events: [] },
    ],
  ])('%s', (_what, run, expected) => {
    expect(run()).toEqual(expected);
  });
});

describe('forcedFailoverCandidates', () => {
  it('only the replicas of a NOADDR dead primary have their offsets read', () => {
    const noaddr = cluster(orphanedShard0, [deadPrimary('master,noaddr')]);
    expect(forcedFailoverCandidates(planHeal(healViews(noaddr)), noaddr).map((v) => v.id)).toEqual([
      'r00',
      'r01',
    ]);
    const failed = cluster(orphanedShard0, [deadPrimary('master,fail')]);
    expect(forcedFailoverCandidates(planHeal(healViews(failed)), failed)).toEqual([]);
  });
});
