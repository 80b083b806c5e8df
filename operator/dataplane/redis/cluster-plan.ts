/**
 * Redis Cluster planner. PURE: observed node views (+ the desired topology) -> typed actions, like
 * kafka/plan.ts for topics. cluster-pass.ts calls one planner per step of a pass, on what it has
 * just observed, and cluster-execute.ts runs the actions; nothing here talks to a node.
 *
 * One planner per step rather than one plan per pass: each step needs what the previous one changed
 * (gossip after MEET, slot owners after ADDSLOTSRANGE, cluster_state:ok before any migration), so it
 * plans on a fresh observation. Node ids name the nodes (each action runs on the pod whose node has
 * that id now); labels are the pod names the action log and the Events use.
 */
import { podLabel } from './cluster-node.js';
import { failedEverywhere } from './heal-plan.js';
import type { ClusterPod, NodeView } from './cluster-node.js';
import { claimedSlots, needsRebalance, shardPrimaries, shardPrimary } from './cluster-state.js';
import { evenSlotRanges, formatRanges, planRebalance, SLOT_COUNT, slotsToRanges } from './slot-plan.js';
import type { SlotMove, SlotRange } from './slot-plan.js';

export type ClusterAction =
  /** Like redis-cli --cluster create: distinct config epochs avoid collisions on first election. */
  | { kind: 'setConfigEpochs'; epochs: { node: string; epoch: number }[] }
  | { kind: 'meet'; via: string; pod: ClusterPod }
  /** On every node at once: Redis drops a FORGET after 60 s unless every node got it. */
  | { kind: 'forget'; id: string }
  /** CLUSTER FAILOVER FORCE on `replica`: its primary `deadId` is NOADDR, Redis never fails it over. */
  | { kind: 'forceFailover'; replica: string; replicaLabel: string; deadId: string; shard: number }
  | { kind: 'addSlots'; node: string; shard: number; ranges: SlotRange[] }
  | { kind: 'replicate'; replica: string; replicaLabel: string; primary: string; primaryLabel: string }
  /** Both ends of an open migration are live: finish it (`targetOwnsSlot`: only leftovers). */
  | {
      kind: 'completeMigration';
      slot: number;
      from: string;
      to: string;
      targetOwnsSlot: boolean;
      notify: string[];
    }
  /** One end of an open migration died: resume from wherever the keys are (COUNTKEYSINSLOT decides). */
  | { kind: 'resumeOrphan'; slot: number; owner: string; primaries: string[] }
  /**
   * An open migration whose source is no longer a primary, whose importers do not see the slot's
   * live owner (an importing node ignores gossip about that slot): the migration is re-pointed to
   * the live owner (`owner`), or, when no live primary claims the slot, to the node holding its keys.
   */
  | {
      kind: 'claimOrphan';
      slot: number;
      sourceId: string;
      importers: string[];
      owner?: string;
      primaries: string[];
    }
  | { kind: 'migrateSlots'; moves: SlotMove[]; primaries: string[] }
  /** Not an action: a problem found while planning, reported in order with the actions' own. */
  | { kind: 'report'; problem: string };

/** Blank nodes (they know only themselves) get epoch = position + 1, before any slot is claimed. */
export function planConfigEpochs(views: readonly NodeView[]): ClusterAction[] {
  if (claimedSlots(views).size > 0) return [];
  const epochs = views.flatMap((v, i) => (v.known.length === 1 ? [{ node: v.id, epoch: i + 1 }] : []));
  return epochs.length > 0 ? [{ kind: 'setConfigEpochs', epochs }] : [];
}

/** The seed (a node that owns slots, else the first) meets every pod it does not know. */
export function planMeet(views: readonly NodeView[]): ClusterAction[] {
  const seed = views.find((v) => v.self.slots.length > 0) ?? views[0];
  if (!seed) return [];
  return views
    .filter((v) => v.id !== seed.id && !seed.known.some((k) => k.id === v.id))
    .map((v) => ({ kind: 'meet' as const, via: seed.id, pod: v.pod }));
}

/** Slots that no node claims go to the shard the even split gives them to (bootstrap, recovery). */
export function planAssignUnclaimed(views: readonly NodeView[], shards: number): ClusterAction[] {
  const claimed = claimedSlots(views);
  if (claimed.size === SLOT_COUNT) return [];
  const ranges = evenSlotRanges(shards);
  const actions: ClusterAction[] = [];
  for (let shard = 0; shard < shards; shard++) {
    const primary = shardPrimary(views, shard);
    const range = ranges[shard];
    if (!range || !primary) continue;
    const free: number[] = [];
    for (let s = range.start; s <= range.end; s++) if (!claimed.has(s)) free.push(s);
    if (free.length > 0)
      actions.push({ kind: 'addSlots', node: primary.id, shard, ranges: slotsToRanges(free) });
  }
  return actions;
}

/**
 * Every non-primary pod of a shard replicates that shard's primary (a replaced pod comes back as a
 * new empty node and is attached to whichever pod is primary now). `problems` are those already
 * found this pass: a shard that has one is not reported twice.
 */
export function planReplicate(
  views: readonly NodeView[],
  shards: number,
  problems: readonly string[],
): ClusterAction[] {
  const actions: ClusterAction[] = [];
  for (let shard = 0; shard < shards; shard++) {
    const primary = shardPrimary(views, shard);
    if (!primary) {
      if (!problems.some((p) => p.startsWith(`shard ${shard}:`)))
        actions.push({ kind: 'report', problem: `shard ${shard} has no primary` });
      continue;
    }
    for (const v of views.filter((x) => x.pod.shard === shard && x.id !== primary.id)) {
      if (v.self.primaryId === primary.id) continue;
      if (v.self.slots.length > 0) {
        const problem = `${podLabel(v.pod)} owns slots but belongs to shard ${v.pod.shard} as a replica`;
        actions.push({ kind: 'report', problem });
        continue;
      }
      actions.push({
        kind: 'replicate',
        replica: v.id,
        replicaLabel: podLabel(v.pod),
        primary: primary.id,
        primaryLabel: podLabel(primary.pod),
      });
    }
  }
  return actions;
}

const masterIds = (views: readonly NodeView[]): string[] =>
  views.filter((v) => v.self.flags.includes('master')).map((v) => v.id);

/**
 * A pass interrupted mid-migration leaves MIGRATING/IMPORTING marks. A pair whose both ends are
 * live is completed; a mark whose other end died (a failover mid-migration) is resumed from
 * wherever the slot's keys are, by the live master that owns the slot now.
 */
export function planOpenMigrations(views: readonly NodeView[]): ClusterAction[] {
  const masters = masterIds(views);
  const { completions, orphans } = openMigrations(views, masters);
  const resumes = [...orphans].map((slot): ClusterAction => {
    const owner = masters.find((id) => views.find((v) => v.id === id)?.self.slots.includes(slot));
    if (owner) return { kind: 'resumeOrphan', slot, owner, primaries: masters };
    return { kind: 'report', problem: `slot ${slot} is mid-migration and its owner is not a live pod yet` };
  });
  return [...completions, ...resumes];
}

/**
 * Slots imported from a source that is no longer a primary (it died, or a failover made it a
 * replica) whose importers do not see the slot's live owner: an importing node ignores gossip
 * about that slot, so its picture keeps the old owner, or none once the old one turned replica,
 * and its cluster_state stays fail. This runs before the pass waits for cluster_state:ok (which
 * those importers would never reach), and the migration completes after it (planOpenMigrations).
 */
export function planClaimOrphans(views: readonly NodeView[]): ClusterAction[] {
  const masters = masterIds(views);
  const imported = views.flatMap((v) => [...v.self.importing].filter(([, from]) => !masters.includes(from)));
  return [...new Map(imported)].flatMap(([slot, sourceId]): ClusterAction[] => {
    const owner = masters.find((id) => views.find((v) => v.id === id)?.self.slots.includes(slot));
    const blind = (v: NodeView): boolean => {
      const seen = v.known.find((k) => k.slots.includes(slot))?.id;
      return owner === undefined ? seen === undefined || !masters.includes(seen) : seen !== owner;
    };
    const importers = views
      .filter((v) => v.self.importing.get(slot) === sourceId && blind(v))
      .map((v) => v.id);
    if (importers.length === 0) return [];
    if (owner !== undefined)
      return [{ kind: 'claimOrphan', slot, sourceId, importers, owner, primaries: masters }];
    // A replica of the dead node may still win the election (FAIL is what starts it): let it.
    if (views.some((v) => v.self.primaryId === sourceId)) return [];
    if (deadOwner(slot, views) === undefined) return [];
    return [{ kind: 'claimOrphan', slot, sourceId, importers, primaries: masters }];
  });
}

/** MIGRATING marks with a live counterpart (to complete), and slots whose mark lost its other end. */
function openMigrations(
  views: readonly NodeView[],
  masters: readonly string[],
): { completions: ClusterAction[]; orphans: Set<number> } {
  const completions: ClusterAction[] = [];
  const orphans = new Set<number>();
  for (const source of views) {
    for (const [slot, targetId] of source.self.migrating) {
      const target = views.find((v) => v.id === targetId);
      const targetOwnsSlot = target?.self.slots.includes(slot) === true;
      if (!target || (target.self.importing.get(slot) !== source.id && !targetOwnsSlot)) {
        orphans.add(slot);
        continue;
      }
      const notify = masters.filter((id) => id !== source.id && id !== target.id);
      completions.push({
        kind: 'completeMigration',
        slot,
        from: source.id,
        to: target.id,
        targetOwnsSlot,
        notify,
      });
    }
  }
  for (const target of views) {
    for (const [slot, sourceId] of target.self.importing) {
      const source = views.find((v) => v.id === sourceId);
      if (source?.self.migrating.get(slot) !== target.id) orphans.add(slot);
    }
  }
  return { completions, orphans };
}

/**
 * The id that owns `slot` in every live node's picture when it is no pod's and every picture marks
 * it failed (fail or noaddr): a dead owner Redis will not fail over any more. Undefined otherwise
 * (the owner may still come back, or the pictures disagree).
 */
function deadOwner(slot: number, views: readonly NodeView[]): string | undefined {
  const podIds = new Set(views.map((v) => v.id));
  const owners = new Set(views.map((v) => v.known.find((k) => k.slots.includes(slot))?.id));
  const [id] = owners;
  if (owners.size !== 1 || id === undefined || podIds.has(id)) return undefined;
  return failedEverywhere(id, views) ? id : undefined;
}

export interface RebalanceStep {
  actions: ClusterAction[];
  /** Moves left for later passes (bounded work per pass keeps one reconcile short). */
  remaining: number;
}

/**
 * Live migration to the even split over the primaries of shards 0..shards-1 (scale-out), and off
 * the shards beyond it (scale-in drains them). Nothing while a target shard has no primary.
 */
export function planRebalanceStep(
  views: readonly NodeView[],
  shards: number,
  maxSlotsPerPass: number,
): RebalanceStep {
  const ids = shardPrimaries(views, shards).map((p) => p.id);
  const owned = new Map(views.filter((v) => v.self.slots.length > 0).map((v) => [v.id, v.self.slots]));
  if (ids.length < shards || !needsRebalance(owned, ids)) return { actions: [], remaining: 0 };
  const moves = planRebalance(owned, ids);
  const batch = moves.slice(0, maxSlotsPerPass);
  return {
    actions: [{ kind: 'migrateSlots', moves: batch, primaries: ids }],
    remaining: moves.length - batch.length,
  };
}

/** The action log line of an action whose outcome adds nothing to it (undefined: not logged). */
export function describeAction(action: ClusterAction): string | undefined {
  switch (action.kind) {
    case 'meet':
      return `meet ${podLabel(action.pod)}`;
    case 'forget':
      return `forget ${action.id}`;
    case 'forceFailover':
      return `failover force ${action.replicaLabel} (its primary ${action.deadId} is NOADDR)`;
    case 'addSlots':
      return `addslots ${formatRanges(action.ranges).join(',')} -> shard ${action.shard}`;
    case 'replicate':
      return `replicate ${action.replicaLabel} -> ${action.primaryLabel}`;
    case 'completeMigration':
      return `resumed migration of slot ${action.slot}`;
    default:
      return undefined;
  }
}
