import { describe, expect, it } from '@jest/globals';
import { cluster, EVEN3, EVEN4, shards } from './cluster-fixtures.js';
import type { GoneNode, PodNode } from './cluster-fixtures.js';
import type { NodeView } from './cluster-node.js';
import {
  describeAction,
  planAssignUnclaimed,
  planConfigEpochs,
  planMeet,
  planClaimOrphans,
  planOpenMigrations,
  planRebalanceStep,
  planReplicate,
} from './cluster-plan.js';
import type { ClusterAction } from './cluster-plan.js';

const blank3x1 = shards(['', '', '']).map((p): PodNode => ({ ...p, of: undefined, blank: true }));
const met3x1 = shards(['', '', '']).map((p): PodNode => ({ ...p, of: undefined }));
const steady3x1 = shards(EVEN3);
/** Shard 3's two new pods are blank: nobody has met them. */
const scaleOut = [
  ...steady3x1,
  { id: 'p3', shard: 3, ordinal: 0, blank: true },
  { id: 'r30', shard: 3, ordinal: 1, blank: true },
];

interface StepKinds {
  epochs?: number;
  meet?: number;
  assign?: number;
  replicate?: number;
  migrations?: number;
  rebalance?: number;
}

/** How many actions each planner of a pass returns on one observation (spec: `specShards`). */
function planCounts(views: NodeView[], specShards: number): StepKinds {
  const counts: StepKinds = {
    epochs: planConfigEpochs(views).length,
    meet: planMeet(views).length,
    assign: planAssignUnclaimed(views, specShards).length,
    replicate: planReplicate(views, specShards, []).length,
    migrations: planOpenMigrations(views).length,
    rebalance: planRebalanceStep(views, specShards, 2048).actions.length,
  };
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n !== 0));
}

describe('cluster planner, every step on one observation', () => {
  it.each<[string, NodeView[], number, StepKinds]>([
    ['steady 3 x 1: nothing to do (a steady state sends no command that writes)', cluster(steady3x1), 3, {}],
    [
      'bootstrap, blank nodes: distinct epochs, MEET from the first node; each sees only itself',
      cluster(blank3x1),
      3,
      { epochs: 1, meet: 5, assign: 3, replicate: 3, rebalance: 1 },
    ],
    [
      'bootstrap, met: slots to the pod-0s and the pod-1s attached',
      cluster(met3x1),
      3,
      { assign: 3, replicate: 3, rebalance: 1 },
    ],
    [
      // The pass runs the later steps only once gossip has them known everywhere.
      'scale-out 3 -> 4, new pods blank: MEET them; pod 1 attached, slots moved to pod 0',
      cluster(scaleOut),
      4,
      { meet: 2, replicate: 1, rebalance: 1 },
    ],
    ['scale-in 4 -> 3, steady 4 x 1: drain', cluster(shards(EVEN4)), 3, { rebalance: 1 }],
  ])('%s', (_what, views, specShards, expected) => {
    expect(planCounts(views, specShards)).toEqual(expected);
  });
});

describe('planConfigEpochs and planMeet', () => {
  it('epochs are the node position + 1, only while no slot is claimed', () => {
    const [action] = planConfigEpochs(cluster(blank3x1));
    expect(action?.kind === 'setConfigEpochs' && action.epochs.slice(0, 2)).toEqual([
      { node: 'p0', epoch: 1 },
      { node: 'r00', epoch: 2 },
    ]);
    expect(action?.kind === 'setConfigEpochs' && action.epochs.map((e) => e.epoch)).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
    expect(planConfigEpochs(cluster(steady3x1))).toEqual([]);
  });

  it('the seed is a node that owns slots, so a new node joins the existing cluster', () => {
    const views = cluster([{ ...scaleOut[6]!, ordinal: 0 }, ...steady3x1]);
    const meets = planMeet(views);
    expect(meets.map((a) => (a.kind === 'meet' ? [a.via, a.pod.name] : []))).toEqual([['p0', 's3-0']]);
    expect(meets.map(describeAction)).toEqual(['meet s3-0']);
  });
});

describe('planAssignUnclaimed', () => {
  it('bootstrap: the even split over each shard primary', () => {
    const actions = planAssignUnclaimed(cluster(met3x1), 3);
    expect(actions.map(describeAction)).toEqual([
      'addslots 0-5461 -> shard 0',
      'addslots 5462-10922 -> shard 1',
      'addslots 10923-16383 -> shard 2',
    ]);
    expect(actions[0]).toMatchObject({ node: 'p0', ranges: [{ start: 0, end: 5461 }] });
  });

  it('only the slots nobody claims (a recovered shard gets its own range back, not more)', () => {
    const views = cluster(
      shards(['0-5461', '', '10923-16383']).map((p) => (p.shard === 1 ? { ...p, of: undefined } : p)),
    );
    expect(planAssignUnclaimed(views, 3).map(describeAction)).toEqual(['addslots 5462-10922 -> shard 1']);
  });

  it('every slot claimed: nothing', () => {
    expect(planAssignUnclaimed(cluster(steady3x1), 3)).toEqual([]);
  });
});

describe('planReplicate', () => {
  it.each<[string, PodNode[], string[], string[]]>([
    [
      'a replaced pod (new empty master) re-attaches to whichever pod is primary now (pod 1 after a failover)',
      [
        { id: 'new0', shard: 0, ordinal: 0 },
        { id: 'r00', shard: 0, ordinal: 1, slots: '0-16383' },
      ],
      [],
      ['replicate s0-0 -> s0-1'],
    ],
    [
      'a replica of the wrong primary is re-pointed',
      [
        { id: 'p0', shard: 0, ordinal: 0, slots: '0-8191' },
        { id: 'p1', shard: 1, ordinal: 0, slots: '8192-16383' },
        { id: 'r00', shard: 0, ordinal: 1, of: 'p1' },
        { id: 'r10', shard: 1, ordinal: 1, of: 'p1' },
      ],
      [],
      ['replicate s0-1 -> s0-0'],
    ],
    [
      'a non-primary pod that owns slots is a problem, never REPLICATEd (that would drop its slots)',
      [
        { id: 'p0', shard: 0, ordinal: 0, slots: '0-8191' },
        { id: 'x0', shard: 0, ordinal: 1, slots: '8192-16383' },
      ],
      [],
      ['problem: s0-1 owns slots but belongs to shard 0 as a replica'],
    ],
    [
      'a shard without any master: reported',
      [{ id: 'r00', shard: 0, ordinal: 0, of: 'gone' }],
      [],
      ['problem: shard 0 has no primary'],
    ],
    [
      'a shard the heal step already reported is not reported twice',
      [{ id: 'r00', shard: 0, ordinal: 0, of: 'gone' }],
      ['shard 0: waiting for Redis to promote a replica of failed node gone'],
      [],
    ],
  ])('%s', (_what, pods, problems, expected) => {
    const lines = planReplicate(cluster(pods), 1, problems).map((a) =>
      a.kind === 'report' ? `problem: ${a.problem}` : (describeAction(a) ?? a.kind),
    );
    expect(lines).toEqual(expected);
  });
});

describe('planOpenMigrations: migration resume', () => {
  const twoShards = (p0: string, p1: string): PodNode[] => [
    { id: 'a', shard: 0, ordinal: 0, slots: p0 },
    { id: 'b', shard: 1, ordinal: 0, slots: p1 },
    { id: 'c', shard: 2, ordinal: 0, slots: '16000-16383' },
  ];
  it.each<[string, PodNode[], ClusterAction[]]>([
    ['no marks: nothing', twoShards('0-7999', '8000-15999'), []],
    [
      'both ends live and paired: complete it, telling the other primaries',
      twoShards('0-7999 [7->-b]', '8000-15999 [7-<-a]'),
      [{ kind: 'completeMigration', slot: 7, from: 'a', to: 'b', targetOwnsSlot: false, notify: ['c'] }],
    ],
    [
      'the target already took the slot: only leftovers move',
      twoShards('0-6 8-7999 [7->-b]', '7 8000-15999'),
      [{ kind: 'completeMigration', slot: 7, from: 'a', to: 'b', targetOwnsSlot: true, notify: ['c'] }],
    ],
    [
      'MIGRATING towards a node that died (the target failed over): resumed by the owner',
      twoShards('0-7999 [7->-dead]', '8000-15999'),
      [{ kind: 'resumeOrphan', slot: 7, owner: 'a', primaries: ['a', 'b', 'c'] }],
    ],
    [
      'IMPORTING from a node that died (the source failed over): resumed by the new owner',
      twoShards('0-6 8-7999', '7 8000-15999 [7-<-dead]'),
      [{ kind: 'resumeOrphan', slot: 7, owner: 'b', primaries: ['a', 'b', 'c'] }],
    ],
    [
      'the slot of an orphan mark has no live owner yet: a problem, nothing moved',
      [
        { id: 'a', shard: 0, ordinal: 0, slots: '0-15999' },
        { id: 'c', shard: 1, ordinal: 0, slots: '16001-16383 [16000-<-dead]' },
      ],
      [{ kind: 'report', problem: 'slot 16000 is mid-migration and its owner is not a live pod yet' }],
    ],
    [
      'IMPORTING without the MIGRATING side, slot owned by a live primary: resume',
      twoShards('0-7999', '8000-15999 [7-<-a]'),
      [{ kind: 'resumeOrphan', slot: 7, owner: 'a', primaries: ['a', 'b', 'c'] }],
    ],
  ])('%s', (_what, pods, expected) => {
    expect(planOpenMigrations(cluster(pods))).toEqual(expected);
  });
});

describe('planClaimOrphans: slots imported from a source that died mid-migration', () => {
  // Seen on the real node: the source of 32 IMPORTING slots crashed; its replica n took over, and the
  // importer t, which ignores gossip about slots it imports, kept the dead id as their owner.
  const dead: GoneNode = { id: 'dead', flags: 'master,fail,noaddr', slots: '8000-8031' };
  const importer = '8032-16383 [8000-<-dead] [8001-<-dead]';
  const primaries = ['n', 't'];
  /** n's picture (it owns the slots) for every node but t, whose picture still has the dead owner. */
  function split(): NodeView[] {
    const live = cluster([
      { id: 'n', shard: 0, ordinal: 1, slots: '0-8031' },
      { id: 't', shard: 1, ordinal: 0, slots: importer },
    ]);
    const stale = cluster(
      [
        { id: 'n', shard: 0, ordinal: 1, slots: '0-7999' },
        { id: 't', shard: 1, ordinal: 0, slots: importer },
      ],
      [dead],
    );
    return [live[0]!, stale[1]!];
  }
  const claim = (slot: number, owner?: string): ClusterAction => ({
    kind: 'claimOrphan',
    slot,
    sourceId: 'dead',
    importers: ['t'],
    ...(owner === undefined ? {} : { owner }),
    primaries,
  });
  const stillDead: PodNode[] = [
    { id: 'n', shard: 0, ordinal: 1, slots: '0-7999' },
    { id: 't', shard: 1, ordinal: 0, slots: importer },
  ];
  it.each<[string, NodeView[], ClusterAction[]]>([
    [
      'the promoted replica owns them, the importer does not know: it is told',
      split(),
      [claim(8000, 'n'), claim(8001, 'n')],
    ],
    [
      'every picture has the dead owner (failed): the key holder claims them',
      cluster(stillDead, [dead]),
      [claim(8000), claim(8001)],
    ],
    [
      'a replica still follows the dead owner: its election may claim the slots, nothing yet',
      cluster([...stillDead, { id: 'r', shard: 0, ordinal: 2, of: 'dead' }], [dead]),
      [],
    ],
    [
      'the dead owner only suspected (pfail): it may come back, nothing yet',
      cluster(stillDead, [{ ...dead, flags: 'master,fail?' }]),
      [],
    ],
    [
      'the importer already sees the live owner: nothing here (planOpenMigrations resumes it)',
      cluster([
        { id: 'n', shard: 0, ordinal: 1, slots: '0-8031' },
        { id: 't', shard: 1, ordinal: 0, slots: importer },
      ]),
      [],
    ],
  ])('%s', (_what, views, expected) => {
    expect(planClaimOrphans(views)).toEqual(expected);
  });
});

describe('planClaimOrphans: a source that a failover turned into a replica', () => {
  // The integration suite's stall (redis-failover-auth): the source's replica took over, the old
  // source follows it, and the importer, which ignores gossip about its importing slot, dropped the
  // slot with the old owner's slots and saw it unassigned (cluster_state:fail) for good.
  const pods = (slots: string): PodNode[] => [
    { id: 'aa', shard: 0, ordinal: 1, slots },
    { id: 'bb', shard: 0, ordinal: 0, of: 'aa' },
    { id: 'cc', shard: 1, ordinal: 0, slots: '8032-16383 [8000-<-bb]' },
  ];
  it('the importer that lost sight of the owner is told, and the migration re-pointed', () => {
    const live = cluster(pods('0-8031'));
    const stale = cluster(pods('0-7999'));
    expect(planClaimOrphans([live[0]!, live[1]!, stale[2]!])).toEqual([
      {
        kind: 'claimOrphan',
        slot: 8000,
        sourceId: 'bb',
        importers: ['cc'],
        owner: 'aa',
        primaries: ['aa', 'cc'],
      },
    ]);
  });
  it('an importer that sees the owner needs nothing here (planOpenMigrations resumes it)', () => {
    expect(planClaimOrphans(cluster(pods('0-8031')))).toEqual([]);
  });
});

describe('planRebalanceStep', () => {
  const withShard3 = [
    ...steady3x1,
    { id: 'p3', shard: 3, ordinal: 0 },
    { id: 'r30', shard: 3, ordinal: 1, of: 'p3' },
  ];
  it('scale-out 3 -> 4: 4096 slots to the new primary, at most maxSlotsPerPass now', () => {
    const step = planRebalanceStep(cluster(withShard3), 4, 2048);
    expect(step.remaining).toBe(2048);
    const action = step.actions[0];
    expect(action?.kind).toBe('migrateSlots');
    if (action?.kind !== 'migrateSlots') return;
    expect(action.moves).toHaveLength(2048);
    expect(new Set(action.moves.map((m) => m.to))).toEqual(new Set(['p3']));
    expect(action.primaries).toEqual(['p0', 'p1', 'p2', 'p3']);
  });

  it('scale-in 4 -> 3: shard 3 is drained onto the spec shards', () => {
    const step = planRebalanceStep(cluster(shards(EVEN4)), 3, 10_000);
    expect(step.remaining).toBe(0);
    const action = step.actions[0];
    if (action?.kind !== 'migrateSlots') throw new Error('expected a migration');
    expect(action.moves).toHaveLength(4096);
    expect(new Set(action.moves.map((m) => m.from))).toEqual(new Set(['p3']));
    expect(action.primaries).toEqual(['p0', 'p1', 'p2']);
  });

  it.each<[string, PodNode[], number]>([
    ['balanced: nothing', steady3x1, 3],
    ['within the 2 % threshold: nothing', shards(['0-5499', '5500-10922', '10923-16383']), 3],
    ['a target shard has no primary yet: nothing (never migrate into the void)', shards(EVEN3), 4],
  ])('%s', (_what, pods, specShards) => {
    expect(planRebalanceStep(cluster(pods), specShards, 2048)).toEqual({ actions: [], remaining: 0 });
  });
});
