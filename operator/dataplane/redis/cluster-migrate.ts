/**
 * Live slot migration between two primaries, the procedure from the Redis Cluster spec:
 * IMPORTING on the target, MIGRATING on the source, MIGRATE the keys in batches, then
 * SETSLOT NODE on target, source and every other primary. Keys stay readable throughout:
 * clients get ASK redirects for keys already moved.
 */
import type { ClusterNodeClient } from './cluster-node.js';
import { openSlotAction } from './heal-plan.js';

export interface MigrateOptions {
  password: string | undefined;
  batchSize: number;
  timeoutMs: number;
}

export async function migrateSlot(
  slot: number,
  source: { node: ClusterNodeClient; id: string },
  target: { node: ClusterNodeClient; id: string },
  others: readonly ClusterNodeClient[],
  opts: MigrateOptions,
  /** Resuming a migration whose target already took ownership: only move leftovers and close. */
  targetOwnsSlot = false,
): Promise<number> {
  if (!targetOwnsSlot) {
    await target.node.cluster('SETSLOT', slot, 'IMPORTING', source.id);
    await source.node.cluster('SETSLOT', slot, 'MIGRATING', target.id);
  }
  let moved = 0;
  for (;;) {
    const keys = (await source.node.cluster('GETKEYSINSLOT', slot, opts.batchSize)) as string[];
    if (keys.length === 0) break;
    await source.node.migrateKeys(target.node.pod, keys, opts.timeoutMs, opts.password);
    moved += keys.length;
  }
  await target.node.cluster('SETSLOT', slot, 'NODE', target.id);
  await source.node.cluster('SETSLOT', slot, 'NODE', target.id).catch(ignoreIfNoLongerPrimary);
  // Telling the other primaries directly avoids a window of stale MOVED redirects; gossip would
  // converge anyway, so their failures are not fatal.
  await Promise.all(others.map((n) => n.cluster('SETSLOT', slot, 'NODE', target.id).catch(() => undefined)));
  return moved;
}

/**
 * Redis 7 turns a primary that lost its last slot into a replica of the node that took it
 * (cluster-allow-replica-migration). When the final slots of a drained shard migrate in
 * parallel, gossip can do that before our own SETSLOT NODE reaches the source; the slot has
 * then already moved, so that refusal is success.
 */
function ignoreIfNoLongerPrimary(err: unknown): void {
  if (err instanceof Error && err.message.includes('only with masters')) return;
  throw err;
}

export interface SlotEnd {
  node: ClusterNodeClient;
  id: string;
}

/**
 * A slot whose migration lost one end to a failover (a MIGRATING or IMPORTING mark without its
 * counterpart). COUNTKEYSINSLOT on the owner and on every other primary decides (openSlotAction):
 * keys already moved are never stranded by a premature SETSLOT STABLE. Returns what it did.
 */
export async function resumeOrphanSlot(
  slot: number,
  owner: SlotEnd,
  primaries: readonly SlotEnd[],
  opts: MigrateOptions,
): Promise<string> {
  const ownerKeys = await owner.node.countKeysInSlot(slot);
  const other = await largestHolder(
    slot,
    primaries.filter((p) => p.id !== owner.id),
  );
  const action = openSlotAction(ownerKeys, other?.keys ?? 0);
  const rest = primaries.filter((p) => p.id !== owner.id && p.id !== other?.end.id).map((p) => p.node);
  if (action === 'stable' || !other) {
    // Nothing moved anywhere else: the owner keeps the slot; clear every leftover mark.
    await Promise.all(primaries.map((p) => p.node.cluster('SETSLOT', slot, 'STABLE').catch(() => undefined)));
    return `slot ${slot}: no key outside its owner, marks cleared`;
  }
  if (action === 'migrate') {
    const moved = await migrateSlot(slot, owner, other.end, rest, opts);
    return `slot ${slot}: resumed migration to ${other.end.id} (${moved} keys left on ${owner.id}, ${other.keys} already moved)`;
  }
  await other.end.node.cluster('SETSLOT', slot, 'NODE', other.end.id);
  await owner.node.cluster('SETSLOT', slot, 'NODE', other.end.id).catch(ignoreIfNoLongerPrimary);
  await Promise.all(rest.map((n) => n.cluster('SETSLOT', slot, 'NODE', other.end.id).catch(() => undefined)));
  return `slot ${slot}: all ${other.keys} keys already on ${other.end.id}, assigned it there`;
}

/**
 * A slot imported from a source that is no longer a primary, whose importers do not see its live
 * owner (planClaimOrphans). `owner` is the live primary that claims it (the promoted replica);
 * without one (Redis left the slot with a dead source), like `redis-cli --cluster fix`, the primary
 * holding its keys claims it: the one with the most keys among those not importing it (it has the
 * source's replicated data), else an importer (every key already moved). A claim bumps the
 * claimer's epoch first, so it outranks the dead owner in gossip.
 *
 * The migration is then re-pointed to the owner: each importer is told the owner (SETSLOT NODE
 * keeps its IMPORTING mark: Redis clears it only when a node is assigned the slot itself) and
 * imports from the owner, and the owner marks the slot MIGRATING to the first importer. That is an
 * ordinary open migration with both ends live, which the pass completes once the cluster is ok
 * (planOpenMigrations). Meanwhile the owner's MIGRATING mark sends clients to the importer (ASK)
 * for the keys it already holds, and no mark names the old source, so forgetting a dead one
 * cannot drop a mark with the keys behind it.
 */
export async function claimOrphanSlot(
  slot: number,
  sourceId: string,
  claim: { owner: SlotEnd | undefined; importers: readonly SlotEnd[]; primaries: readonly SlotEnd[] },
): Promise<string> {
  const { importers, primaries } = claim;
  const importerIds = new Set(importers.map((i) => i.id));
  const holder = claim.owner
    ? undefined
    : await largestHolder(
        slot,
        primaries.filter((p) => !importerIds.has(p.id)),
      );
  const owner = claim.owner ?? holder?.end ?? importers[0];
  if (!owner) return `slot ${slot}: imported from ${sourceId}, no live primary to claim it`;
  if (!claim.owner) {
    await owner.node.cluster('BUMPEPOCH');
    // On an importer this also clears its IMPORTING mark: every key of the slot is already there.
    await owner.node.cluster('SETSLOT', slot, 'NODE', owner.id);
  }
  const how = claim.owner ? 'owned by' : 'claimed by';
  const others = importers.filter((i) => i.id !== owner.id);
  const target = others[0];
  if (!target) return `slot ${slot}: imported from ${sourceId}, ${how} ${owner.id}, which holds every key`;
  for (const i of others) {
    await i.node.cluster('SETSLOT', slot, 'NODE', owner.id);
    if (i === target) await i.node.cluster('SETSLOT', slot, 'IMPORTING', owner.id);
  }
  await owner.node.cluster('SETSLOT', slot, 'MIGRATING', target.id);
  return `slot ${slot}: imported from ${sourceId}, ${how} ${owner.id}; migration re-pointed: ${owner.id} -> ${target.id}`;
}

/** Of `ends`, the one with the most keys in `slot` (COUNTKEYSINSLOT); undefined when none has any. */
async function largestHolder(
  slot: number,
  ends: readonly SlotEnd[],
): Promise<{ end: SlotEnd; keys: number } | undefined> {
  const counts = await Promise.all(
    ends.map(async (end) => ({ end, keys: await end.node.countKeysInSlot(slot) })),
  );
  return counts.filter((c) => c.keys > 0).sort((a, b) => b.keys - a.keys)[0];
}
