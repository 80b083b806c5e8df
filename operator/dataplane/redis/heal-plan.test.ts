import { describe, expect, it } from '@jest/globals';
import type { ClusterNodeInfo } from './cluster-nodes.js';
import { acknowledgedLosses, lostShardsMessage, openSlotAction, planHeal } from './heal-plan.js';
import type { HealView } from './heal-plan.js';

function node(id: string, flags: string, slots: number[] = [], primaryId?: string): ClusterNodeInfo {
  return {
    id,
    host: '10.0.0.1',
    port: 6379,
    flags: flags.split(','),
    primaryId,
    linkState: 'connected',
    slots,
    migrating: new Map(),
    importing: new Map(),
  };
}

/** Pods' views: each sees itself plus `others` (as given). */
function views(pods: { shard: number; self: ClusterNodeInfo }[], others: ClusterNodeInfo[]): HealView[] {
  const selves = pods.map((p) => p.self);
  return pods.map((p) => ({
    shard: p.shard,
    id: p.self.id,
    self: { ...p.self, flags: [...p.self.flags, 'myself'] },
    known: [
      { ...p.self, flags: [...p.self.flags, 'myself'] },
      ...selves.filter((s) => s !== p.self),
      ...others,
    ],
  }));
}

const A = [0, 1, 2];
const B = [3, 4, 5];

describe('planHeal', () => {
  it.each<[string, HealView[], ReturnType<typeof planHeal>]>([
    [
      'healthy: nothing to do',
      views(
        [
          { shard: 0, self: node('p0', 'master', A) },
          { shard: 0, self: node('r0', 'slave', [], 'p0') },
        ],
        [],
      ),
      { forget: [], awaitingFailover: [], lost: [] },
    ],
    [
      // The source of a migration died; its replica took over, the importer (p1) still has the dead
      // id as owner of the slot it imports: neither forgotten (the mark would go) nor a lost shard.
      'a dead source that a live node still imports from: left to planClaimOrphans',
      views(
        [
          { shard: 0, self: node('n0', 'master', [0, 1]) },
          { shard: 1, self: { ...node('p1', 'master', B), importing: new Map([[2, 'dead']]) } },
          { shard: 2, self: node('p2', 'master') },
        ],
        [node('dead', 'master,fail,noaddr', [2])],
      ),
      { forget: [], awaitingFailover: [], lost: [] },
    ],
    [
      'dead primary, its replica alive: wait for Redis failover, forget nothing yet',
      views(
        [
          { shard: 0, self: node('new0', 'master') },
          { shard: 0, self: node('r0', 'slave', [], 'dead') },
          { shard: 1, self: node('p1', 'master', B) },
        ],
        [node('dead', 'master,fail', A)],
      ),
      { forget: [], awaitingFailover: [{ shard: 0, deadId: 'dead', force: false }], lost: [] },
    ],
    [
      'dead primary seen NOADDR everywhere (a new id at its address): Redis never fails it over: force',
      views(
        [
          { shard: 0, self: node('new0', 'master') },
          { shard: 0, self: node('r0', 'slave', [], 'dead') },
          { shard: 1, self: node('p1', 'master', B) },
        ],
        [node('dead', 'master,noaddr', A)],
      ),
      { forget: [], awaitingFailover: [{ shard: 0, deadId: 'dead', force: true }], lost: [] },
    ],
    [
      'after the failover: the dead id owns nothing and nobody replicates it: forget it',
      views(
        [
          { shard: 0, self: node('new0', 'master') },
          { shard: 0, self: node('r0', 'master', A) },
          { shard: 1, self: node('p1', 'master', B) },
        ],
        [node('dead', 'master,fail')],
      ),
      { forget: ['dead'], awaitingFailover: [], lost: [] },
    ],
    [
      'replicasPerShard 0: the dead primary had no replica: shard 0 is lost',
      views(
        [
          { shard: 0, self: node('new0', 'master') },
          { shard: 1, self: node('p1', 'master', B) },
        ],
        [node('dead', 'master,fail', A)],
      ),
      { forget: [], awaitingFailover: [], lost: [{ shard: 0, deadId: 'dead', slots: 3 }] },
    ],
    [
      'only pfail (not yet agreed failed): not lost yet',
      views(
        [
          { shard: 0, self: node('new0', 'master') },
          { shard: 1, self: node('p1', 'master', B) },
        ],
        [node('dead', 'master,fail?', A)],
      ),
      { forget: [], awaitingFailover: [], lost: [] },
    ],
    [
      'two lost shards pair by lowest slot with lowest shard',
      views(
        [
          { shard: 0, self: node('n0', 'master') },
          { shard: 1, self: node('n1', 'master') },
          { shard: 2, self: node('p2', 'master', [9]) },
        ],
        [node('d-high', 'master,fail', B), node('d-low', 'master,fail', A)],
      ),
      {
        forget: [],
        awaitingFailover: [],
        lost: [
          { shard: 0, deadId: 'd-low', slots: 3 },
          { shard: 1, deadId: 'd-high', slots: 3 },
        ],
      },
    ],
  ])('%s', (_what, input, expected) => {
    expect(planHeal(input)).toEqual(expected);
  });
});

describe('lost shard report and acknowledgement', () => {
  const lost = [{ shard: 2, deadId: 'abc123', slots: 5461 }];
  it('the message names the shard, the dead node and that the data is gone', () => {
    expect(lostShardsMessage(lost)).toMatch(/shard 2 lost its data: .*\(node abc123\).*5461 slots are empty/);
  });
  it.each<[string, string | undefined, number]>([
    ['not reported yet', undefined, 0],
    ['reported by the last pass', lostShardsMessage(lost), 1],
    ['another node was reported', lostShardsMessage([{ shard: 2, deadId: 'other', slots: 1 }]), 0],
  ])('%s', (_what, previous, count) => {
    expect(acknowledgedLosses(lost, previous)).toHaveLength(count);
  });
});

describe('openSlotAction (migration resume after a failover)', () => {
  it.each<[number, number, ReturnType<typeof openSlotAction>]>([
    [10, 0, 'stable'],
    [0, 0, 'stable'],
    [4, 6, 'migrate'],
    [0, 6, 'assign'],
  ])('owner %i keys, other side %i keys -> %s', (owner, other, action) => {
    expect(openSlotAction(owner, other)).toBe(action);
  });
});
