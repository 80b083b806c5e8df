import { describe, expect, it } from '@jest/globals';
import { planRoll, replicaInSync, rollProgress } from './roll-plan.js';
import type { RollMember, RollStep } from './roll-plan.js';

const primary = (name: string, shard: number, outdated: boolean): RollMember => ({
  name,
  shard,
  role: 'primary',
  outdated,
  inSync: true,
});
const replica = (name: string, shard: number, of: string, outdated: boolean, inSync = true): RollMember => ({
  name,
  shard,
  role: 'replica',
  primary: of,
  outdated,
  inSync,
});

describe('planRoll', () => {
  it.each<[string, RollMember[], boolean, boolean, RollStep]>([
    [
      'nothing outdated',
      [primary('s0-0', 0, false), replica('s0-1', 0, 's0-0', false)],
      true,
      false,
      { kind: 'idle' },
    ],
    [
      'cluster not ok: wait',
      [primary('s0-0', 0, true), replica('s0-1', 0, 's0-0', true)],
      false,
      false,
      { kind: 'wait', reason: 'cluster_state is not ok on every node' },
    ],
    [
      'a replica still syncing: wait',
      [primary('s0-0', 0, true), replica('s0-1', 0, 's0-0', false, false)],
      true,
      false,
      { kind: 'wait', reason: 'waiting for replicas to sync: s0-1' },
    ],
    [
      'replicas first, lowest shard first',
      [
        primary('s0-0', 0, true),
        replica('s0-1', 0, 's0-0', false),
        primary('s1-0', 1, true),
        replica('s1-1', 1, 's1-0', true),
      ],
      true,
      false,
      { kind: 'delete', pod: 's1-1', shard: 1, role: 'replica' },
    ],
    [
      'outdated primary with an updated in-sync replica: failover, not delete',
      [primary('s0-0', 0, true), replica('s0-1', 0, 's0-0', false)],
      true,
      false,
      { kind: 'failover', replica: 's0-1', primary: 's0-0', shard: 0 },
    ],
    [
      'after the failover pod 1 is primary and the old one is an outdated replica: delete it',
      [primary('s0-1', 0, false), replica('s0-0', 0, 's0-1', true)],
      true,
      false,
      { kind: 'delete', pod: 's0-0', shard: 0, role: 'replica' },
    ],
    [
      'a new node not attached yet: wait',
      [
        primary('s0-1', 0, false),
        { name: 's0-0', shard: 0, role: 'detached', outdated: false, inSync: false },
        primary('s1-0', 1, true),
      ],
      true,
      false,
      { kind: 'wait', reason: 'waiting for s0-0 to be attached' },
    ],
    [
      'no replica, with storage: delete the primary',
      [primary('s0-0', 0, false), primary('s1-0', 1, true)],
      true,
      true,
      { kind: 'delete', pod: 's1-0', shard: 1, role: 'primary' },
    ],
  ])('%s', (_what, members, clusterOk, persistent, step) => {
    expect(planRoll({ members, clusterOk, persistent }).step).toEqual(step);
  });

  it('no replica and no storage: held, naming the shards and the data loss', () => {
    const plan = planRoll({
      members: [primary('a', 0, true), primary('b', 2, true)],
      clusterOk: true,
      persistent: false,
    });
    expect(plan.step.kind).toBe('blocked');
    expect(plan.step.kind === 'blocked' && plan.step.reason).toMatch(
      /shards 0, 2: no replica and no storage.*lose/,
    );
  });

  it('counts progress over every member', () => {
    const plan = planRoll({
      members: [
        primary('a', 0, true),
        replica('b', 0, 'a', false),
        primary('c', 1, false),
        replica('d', 1, 'c', false),
      ],
      clusterOk: true,
      persistent: false,
    });
    expect(rollProgress(plan)).toBe('rolling: 3/4 pods updated');
  });

  it('the replica outdated too is replaced before the primary fails over to it (a full roll in steps)', () => {
    // Simulates the roll level-based: apply each step to the observed state until idle.
    let members: RollMember[] = [
      primary('s0-0', 0, true),
      replica('s0-1', 0, 's0-0', true),
      primary('s1-0', 1, true),
      replica('s1-1', 1, 's1-0', true),
    ];
    const steps: string[] = [];
    for (let i = 0; i < 20; i++) {
      const { step } = planRoll({ members, clusterOk: true, persistent: false });
      if (step.kind === 'idle') break;
      if (step.kind === 'delete') {
        steps.push(`delete ${step.pod}`);
        members = members.map((m) => (m.name === step.pod ? { ...m, outdated: false } : m));
      } else if (step.kind === 'failover') {
        steps.push(`failover ${step.replica}`);
        members = members.map((m) =>
          m.name === step.replica
            ? { ...m, role: 'primary', primary: undefined }
            : m.name === step.primary
              ? { ...m, role: 'replica', primary: step.replica }
              : m,
        );
      } else throw new Error(`unexpected ${step.kind}`);
    }
    expect(steps).toEqual([
      'delete s0-1',
      'delete s1-1',
      'failover s0-1',
      'delete s0-0',
      'failover s1-1',
      'delete s1-0',
    ]);
  });
});

describe('replicaInSync', () => {
  it.each([
    [
      'link up, no lag',
      { linkStatus: 'up', syncInProgress: '0', replicaOffset: 100, primaryOffset: 100 },
      true,
    ],
    ['link down', { linkStatus: 'down', syncInProgress: '0', replicaOffset: 100, primaryOffset: 100 }, false],
    [
      'full sync in progress',
      { linkStatus: 'up', syncInProgress: '1', replicaOffset: 100, primaryOffset: 100 },
      false,
    ],
    [
      'lag within bound',
      { linkStatus: 'up', syncInProgress: '0', replicaOffset: 0, primaryOffset: 65536 },
      true,
    ],
    [
      'lag beyond bound',
      { linkStatus: 'up', syncInProgress: '0', replicaOffset: 0, primaryOffset: 65537 },
      false,
    ],
    [
      'offset unreadable',
      { linkStatus: 'up', syncInProgress: '0', replicaOffset: NaN, primaryOffset: 1 },
      false,
    ],
    [
      'no INFO at all',
      { linkStatus: undefined, syncInProgress: undefined, replicaOffset: 0, primaryOffset: 0 },
      false,
    ],
  ])('%s', (_what, state, expected) => {
    expect(replicaInSync(state)).toBe(expected);
  });
});
