/**
 * What to do about cluster nodes that are no longer pods. PURE: observed node views -> decisions.
 *
 * Shard membership follows the pods (their StatefulSet's chatfleet.io/redis-shard label), never a
 * fixed ordinal: after a failover pod 1 is the primary and stays so.
 * - A dead primary (not a pod, flagged fail) with a live replica among the pods: Redis Cluster's own
 *   failover promotes the replica; the operator waits and touches nothing in that shard. Except when
 *   the dead id is NOADDR everywhere (another node id answers at its address): Redis never fails
 *   such a node over, so the operator forces it (CLUSTER FAILOVER FORCE on the replica).
 * - A dead primary with no replica left: its slots' data is gone. It is reported first (a pass
 *   returns RedisReady=False/ShardDataLost naming the shard); only a later pass that sees that
 *   report already in status forgets the dead id so the slots can be assigned to the shard's new,
 *   empty node.
 * - A dead node that owns no slots and that no pod replicates: CLUSTER FORGET it on every node.
 */
import type { ClusterNodeInfo } from './cluster-nodes.js';

export interface HealView {
  /** The pod's shard (its StatefulSet's label). */
  shard: number;
  id: string;
  self: ClusterNodeInfo;
  known: readonly ClusterNodeInfo[];
}

export interface LostShard {
  shard: number;
  deadId: string;
  slots: number;
}

export interface HealPlan {
  /** Dead ids to CLUSTER FORGET on every node now. */
  forget: string[];
  /**
   * Shards whose dead primary has a live replica: Redis fails over on its own; wait. `force`: the
   * dead id is NOADDR everywhere (a new node answers at its old address), which Redis's failure
   * detection skips for good, so the operator must run CLUSTER FAILOVER FORCE on a replica.
   */
  awaitingFailover: { shard: number; deadId: string; force: boolean }[];
  /** Shards whose slots belong to a dead id that nothing can replace. */
  lost: LostShard[];
}

/** Slots a dead id owns in any live node's picture. */
function slotsOf(id: string, views: readonly HealView[]): Set<number> {
  const pictures = views.flatMap((v) => v.known.filter((k) => k.id === id));
  return new Set(pictures.flatMap((k) => k.slots));
}

/** Every live node that knows `id` has marked it failed (fail, not merely pfail, or without address). */
export function failedEverywhere(id: string, views: readonly Pick<HealView, 'known'>[]): boolean {
  const pictures = views.flatMap((v) => v.known.filter((k) => k.id === id));
  return pictures.length > 0 && pictures.every((k) => k.flags.includes('fail') || k.flags.includes('noaddr'));
}

/**
 * A live node still imports a slot from `id` (its source died mid-migration). Such an id is left to
 * planClaimOrphans, which re-points the migration to a live owner first: forgetting the id would
 * clear the IMPORTING mark with the keys already moved behind it, and the importer's stale picture
 * (it ignores gossip about the slot) would make a lost shard of slots Redis already failed over.
 */
function importedFrom(id: string, views: readonly HealView[]): boolean {
  return views.some((v) => [...v.self.importing.values()].includes(id));
}

function noaddrEverywhere(id: string, views: readonly HealView[]): boolean {
  const pictures = views.flatMap((v) => v.known.filter((k) => k.id === id));
  return pictures.length > 0 && pictures.every((k) => k.flags.includes('noaddr'));
}

/** PURE. */
export function planHeal(views: readonly HealView[]): HealPlan {
  const podIds = new Set(views.map((v) => v.id));
  const dead = new Set(views.flatMap((v) => v.known.map((k) => k.id)).filter((id) => !podIds.has(id)));
  const plan: HealPlan = { forget: [], awaitingFailover: [], lost: [] };
  const orphanedOwners: { id: string; slots: Set<number> }[] = [];
  for (const id of [...dead].sort()) {
    const slots = slotsOf(id, views);
    const replicas = views.filter((v) => v.self.primaryId === id);
    if (replicas.length === 0 && importedFrom(id, views)) continue;
    if (slots.size === 0) {
      // A replica still pointing at it would refuse FORGET; it is re-pointed first (cluster pass).
      if (replicas.length === 0) plan.forget.push(id);
      continue;
    }
    if (replicas.length > 0) {
      const shard = replicas[0]?.shard ?? -1;
      plan.awaitingFailover.push({ shard, deadId: id, force: noaddrEverywhere(id, views) });
      continue;
    }
    // Not yet failed (pfail, or a pod that is restarting with its data): leave it alone.
    if (failedEverywhere(id, views)) orphanedOwners.push({ id, slots });
  }
  plan.lost = assignLostOwners(orphanedOwners, views);
  return plan;
}

/**
 * Pairs each dead slot owner with a shard that has no slot-owning primary and no replica waiting for
 * a failover (the shard whose pod was replaced), lowest slots first with lowest shard first.
 */
function assignLostOwners(
  owners: { id: string; slots: Set<number> }[],
  views: readonly HealView[],
): LostShard[] {
  const shards = [...new Set(views.map((v) => v.shard))].sort((a, b) => a - b);
  const podIds = new Set(views.map((v) => v.id));
  const headless = shards.filter((shard) => {
    const members = views.filter((v) => v.shard === shard);
    const serving = members.some((v) => v.self.flags.includes('master') && v.self.slots.length > 0);
    const following = members.some((v) => v.self.primaryId !== undefined && !podIds.has(v.self.primaryId));
    return !serving && !following;
  });
  const minSlot = (o: { slots: Set<number> }): number => Math.min(...o.slots);
  const sorted = [...owners].sort((a, b) => minSlot(a) - minSlot(b));
  const lost: LostShard[] = [];
  sorted.forEach((owner, i) => {
    const shard = headless[i];
    if (shard !== undefined) lost.push({ shard, deadId: owner.id, slots: owner.slots.size });
  });
  return lost;
}

/** The RedisReady message for lost shards; the acknowledging pass matches on the dead ids in it. PURE. */
export function lostShardsMessage(lost: readonly LostShard[]): string {
  const parts = lost.map(
    (l) =>
      `shard ${l.shard} lost its data: its primary (node ${l.deadId}) is gone with no replica to promote, ` +
      `so its ${l.slots} slots are empty`,
  );
  return `${parts.join('; ')}; the operator assigns them to the shard's new empty node on the next pass`;
}

/** The lost shards an earlier pass already reported (their dead id is in the last RedisReady message). PURE. */
export function acknowledgedLosses(
  lost: readonly LostShard[],
  previousMessage: string | undefined,
): LostShard[] {
  if (!previousMessage) return [];
  return lost.filter((l) => previousMessage.includes(`(node ${l.deadId})`));
}

export type OpenSlotAction =
  /** No key on the other side: the slot stays with its owner; clear the marks. */
  | 'stable'
  /** Keys on both sides: finish the migration from the owner into the other side. */
  | 'migrate'
  /** Every key already moved: hand the slot to the other side without migrating anything. */
  | 'assign';

/**
 * A migration whose counterpart failed over mid-way (the MIGRATING or IMPORTING mark died with the
 * old node): where do the slot's keys live? `ownerKeys` is COUNTKEYSINSLOT on the node that owns
 * the slot now, `otherKeys` on the node at the other end. Never STABLE while the other side holds
 * keys: those keys would become unreachable. PURE.
 */
export function openSlotAction(ownerKeys: number, otherKeys: number): OpenSlotAction {
  if (otherKeys === 0) return 'stable';
  return ownerKeys > 0 ? 'migrate' : 'assign';
}
