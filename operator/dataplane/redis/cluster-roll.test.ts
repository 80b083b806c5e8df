import { describe, expect, it } from '@jest/globals';
import type { NodeView } from './cluster-node.js';
import { parseClusterNodes } from './cluster-nodes.js';
import { decideRoll, failoverOutcome, rollMembers } from './cluster-roll.js';
import type { RollDecision } from './cluster-roll.js';

/** Views of a 1-shard cluster: p (primary, slots 0-9) and r (replica of p). */
function views(outdated: { p: boolean; r: boolean }, replicaOf = 'p'): NodeView[] {
  const text = [
    'p 10.0.0.1:6379@16379 master - 0 0 1 connected 0-9',
    `r 10.0.0.2:6379@16379 slave ${replicaOf} 0 0 1 connected`,
  ].join('\n');
  const known = parseClusterNodes(text);
  return known.map((self, i) => ({
    pod: {
      shard: 0,
      ordinal: i,
      host: self.host,
      port: 6379,
      name: `s0-${i}`,
      outdated: i === 0 ? outdated.p : outdated.r,
    },
    id: self.id,
    self,
    known,
  }));
}

const info = (entries: Record<string, string>): Map<string, string> => new Map(Object.entries(entries));

describe('rollMembers', () => {
  it.each<[string, Map<string, Map<string, string>>, boolean]>([
    [
      'link up, caught up',
      new Map([
        ['p', info({ master_repl_offset: '500' })],
        ['r', info({ master_link_status: 'up', master_sync_in_progress: '0', slave_repl_offset: '500' })],
      ]),
      true,
    ],
    [
      'link down',
      new Map([
        ['p', info({ master_repl_offset: '500' })],
        ['r', info({ master_link_status: 'down', master_sync_in_progress: '0', slave_repl_offset: '500' })],
      ]),
      false,
    ],
    ['no INFO', new Map(), false],
  ])('%s', (_what, replication, inSync) => {
    const members = rollMembers(views({ p: true, r: false }), replication);
    expect(members).toEqual([
      { name: 's0-0', shard: 0, outdated: true, role: 'primary', inSync: true },
      { name: 's0-1', shard: 0, outdated: false, role: 'replica', primary: 's0-0', inSync },
    ]);
  });

  it('a node replicating something that is not a serving primary is detached', () => {
    const members = rollMembers(views({ p: false, r: true }, 'gone'), new Map());
    expect(members[1]).toMatchObject({ name: 's0-1', role: 'detached', outdated: true });
  });
});

const synced = new Map([
  ['p', info({ master_repl_offset: '500' })],
  ['r', info({ master_link_status: 'up', master_sync_in_progress: '0', slave_repl_offset: '500' })],
]);
const HELD =
  "not rolling shard 0: no replica and no storage, so deleting its primary would lose the shard's data; add " +
  'replicasPerShard or storage, or delete the pod yourself to accept the loss';

/** Shard 0 with only its primary p (outdated). */
function solo(): ReturnType<typeof views> {
  const [p] = views({ p: true, r: false });
  const self = { ...p!.self };
  return [{ ...p!, known: [self] }];
}

describe('decideRoll: one step of the OnDelete roll', () => {
  it.each<[string, () => RollDecision | undefined, unknown]>([
    ['nothing outdated: no step', () => decideRoll(views({ p: false, r: false }), synced, false), undefined],
    [
      'an outdated replica first: delete it',
      () => decideRoll(views({ p: true, r: true }), synced, false),
      {
        kind: 'outcome',
        outcome: {
          message: 'rolling: 0/2 pods updated; restarting pod s0-1 (replica of shard 0) to update it',
          actions: ['delete pod s0-1'],
          events: [
            {
              type: 'Normal',
              reason: 'RedisPodRestarted',
              note: 'restarting pod s0-1 (replica of shard 0) to update it',
            },
          ],
          deletePods: ['s0-1'],
          held: false,
        },
      },
    ],
    [
      'an outdated primary with an updated in-sync replica: coordinated failover',
      () => decideRoll(views({ p: true, r: false }), synced, false),
      {
        kind: 'failover',
        step: { kind: 'failover', replica: 's0-1', primary: 's0-0', shard: 0 },
        progress: 'rolling: 1/2 pods updated',
      },
    ],
    [
      'replica not in sync: wait',
      () => decideRoll(views({ p: true, r: false }), new Map(), false),
      {
        kind: 'outcome',
        outcome: {
          message: 'rolling: 1/2 pods updated; waiting for replicas to sync: s0-1',
          actions: [],
          events: [],
          deletePods: [],
          held: false,
        },
      },
    ],
    [
      'no replica, no storage: held, one Warning when the hold starts',
      () => decideRoll(solo(), synced, false),
      {
        kind: 'outcome',
        outcome: {
          message: `rolling: 0/1 pods updated; ${HELD}`,
          actions: [],
          events: [{ type: 'Warning', reason: 'RedisRollHeld', note: HELD }],
          deletePods: [],
          held: true,
        },
      },
    ],
    [
      'still held on the next pass: no second Warning',
      () => decideRoll(solo(), synced, false, `rolling: 0/1 pods updated; ${HELD}`),
      {
        kind: 'outcome',
        outcome: {
          message: `rolling: 0/1 pods updated; ${HELD}`,
          actions: [],
          events: [],
          deletePods: [],
          held: true,
        },
      },
    ],
    [
      'no replica but storage: the primary is deleted (its data survives)',
      () => decideRoll(solo(), synced, true),
      expect.objectContaining({ outcome: expect.objectContaining({ deletePods: ['s0-0'] }) }),
    ],
  ])('%s', (_what, decide, expected) => {
    expect(decide()).toEqual(expected);
  });
});

describe('failoverOutcome', () => {
  const step = { kind: 'failover' as const, replica: 's0-1', primary: 's0-0', shard: 0 };
  const note = 'CLUSTER FAILOVER: s0-1 takes over shard 0 from s0-0, which is updated next';
  it.each<[string, boolean | undefined, string, number]>([
    ['promoted', true, note, 1],
    ['promotion still running at the end of the wait', false, `${note} (promotion still in progress)`, 1],
    ['the replica pod is not connected', undefined, 'pod s0-1 is not connected', 0],
  ])('%s', (_what, promoted, message, events) => {
    const outcome = failoverOutcome(step, 'rolling: 1/2 pods updated', promoted);
    expect(outcome.message).toBe(`rolling: 1/2 pods updated; ${message}`);
    expect(outcome.events).toHaveLength(events);
    expect(outcome.actions).toEqual(events ? ['failover s0-0 -> s0-1'] : []);
  });
});
