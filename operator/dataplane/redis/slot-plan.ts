/**
 * Hash-slot maths for Redis Cluster. PURE.
 * 16384 slots are split as evenly as possible; rebalancing moves the fewest slots that reach
 * the even split, taking slots from the end of each donor's list so ranges stay contiguous.
 */
export const SLOT_COUNT = 16384;

export interface SlotRange {
  start: number;
  end: number;
}

export interface SlotMove {
  slot: number;
  from: string;
  to: string;
}

/** Sizes of an even split: the first (16384 % n) shards get one extra slot. */
export function evenSlotCounts(shards: number): number[] {
  if (!Number.isInteger(shards) || shards < 1)
    throw new RangeError(`shards must be a positive integer, got ${shards}`);
  const base = Math.floor(SLOT_COUNT / shards);
  const extra = SLOT_COUNT % shards;
  return Array.from({ length: shards }, (_, i) => base + (i < extra ? 1 : 0));
}

/** Contiguous ranges for the initial assignment (what `redis-cli --cluster create` does). */
export function evenSlotRanges(shards: number): SlotRange[] {
  let start = 0;
  return evenSlotCounts(shards).map((count) => {
    const range = { start, end: start + count - 1 };
    start += count;
    return range;
  });
}

export function slotsToRanges(slots: readonly number[]): SlotRange[] {
  const sorted = [...slots].sort((a, b) => a - b);
  const ranges: SlotRange[] = [];
  for (const slot of sorted) {
    const last = ranges[ranges.length - 1];
    if (last && slot === last.end + 1) last.end = slot;
    else ranges.push({ start: slot, end: slot });
  }
  return ranges;
}

export function formatRanges(ranges: readonly SlotRange[]): string[] {
  return ranges.map((r) => (r.start === r.end ? String(r.start) : `${r.start}-${r.end}`));
}

/**
 * Target slot count per primary: larger shares go to the primaries that already hold the most
 * slots (ties by order), which minimises the number of slots that must move.
 */
export function targetCounts(
  owned: ReadonlyMap<string, readonly number[]>,
  primaries: readonly string[],
): Map<string, number> {
  const counts = evenSlotCounts(primaries.length);
  const byHoldings = primaries
    .map((id, order) => ({ id, order, held: owned.get(id)?.length ?? 0 }))
    .sort((a, b) => b.held - a.held || a.order - b.order);
  return new Map(byHoldings.map((p, i) => [p.id, counts[i] ?? 0]));
}

/**
 * Moves that bring `owned` (primary id -> slots) to an even split over `primaries`.
 * Slots owned by a node that is not in `primaries` are moved off it too (the caller only does
 * that for a safe scale-in). Slots owned by nobody are not planned here: they are assigned,
 * not migrated.
 */
export function planRebalance(
  owned: ReadonlyMap<string, readonly number[]>,
  primaries: readonly string[],
): SlotMove[] {
  const targets = targetCounts(owned, primaries);
  const surplus: { id: string; slots: number[] }[] = [];
  for (const [id, slots] of owned) {
    const keep = targets.get(id) ?? 0;
    const sorted = [...slots].sort((a, b) => a - b);
    if (sorted.length > keep) surplus.push({ id, slots: sorted.slice(keep) });
  }
  const moves: SlotMove[] = [];
  for (const id of primaries) {
    let missing = (targets.get(id) ?? 0) - (owned.get(id)?.length ?? 0);
    for (const donor of surplus) {
      while (missing > 0 && donor.slots.length > 0) {
        const slot = donor.slots.shift() as number;
        moves.push({ slot, from: donor.id, to: id });
        missing--;
      }
    }
  }
  return moves;
}

/** True when every primary holds exactly its even share (no migration needed). */
export function isBalanced(
  owned: ReadonlyMap<string, readonly number[]>,
  primaries: readonly string[],
): boolean {
  return planRebalance(owned, primaries).length === 0;
}
