/**
 * A consumer group's lag on one topic from the broker's answers (ListOffsets and OffsetFetch). PURE.
 *
 * Per partition the group's position is its committed offset, clamped into [low, high]:
 * - never committed (-1): the position is the start (low) offset, so a group that never committed
 *   counts every retained message (a new worker pool starts on the backlog, not on 0);
 * - below low (retention deleted what it had not read): low, since only retained messages can be read;
 * - above high (the topic was re-created under the same name): high, so the lag is never negative.
 * The lag is the sum of (high - position). The broker is not trusted: an offset that is not a safe
 * non-negative integer (or -1 for "none"), a partition missing from the group's answer or listed twice, or
 * a sum past
 * Number.MAX_SAFE_INTEGER makes the whole read invalid rather than a made-up number.
 */

export interface PartitionEnds {
  partition: number;
  low: string;
  high: string;
}

export interface CommittedOffset {
  partition: number;
  /** '-1' when the group has no committed offset for the partition. */
  offset: string;
}

export type LagSum = { ok: true; lag: number; partitions: number } | { ok: false; problem: string };

const NONE = -1;

function offsetOf(text: string, allowNone: boolean): number | undefined {
  if (!/^-?\d{1,16}$/.test(text)) return undefined;
  const value = Number(text);
  if (allowNone && value === NONE) return value;
  return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

function partitionLag(end: PartitionEnds, committed: string | undefined): number | string {
  const low = offsetOf(end.low, false);
  const high = offsetOf(end.high, false);
  if (low === undefined || high === undefined || low > high) {
    return `partition ${end.partition}: end offsets low ${end.low}, high ${end.high} are not offsets`;
  }
  if (committed === undefined) return `partition ${end.partition}: missing from the group's offsets`;
  const offset = offsetOf(committed, true);
  if (offset === undefined)
    return `partition ${end.partition}: committed offset ${committed} is not an offset`;
  const position = offset === NONE ? low : Math.min(Math.max(offset, low), high);
  return high - position;
}

/** The group's lag over every partition of the topic. */
export function sumLag(ends: readonly PartitionEnds[], committed: readonly CommittedOffset[]): LagSum {
  if (ends.length === 0) return { ok: false, problem: 'the topic has no partitions' };
  if (new Set(ends.map((e) => e.partition)).size !== ends.length) {
    return { ok: false, problem: 'a partition is listed twice in the end offsets' };
  }
  const byPartition = new Map(committed.map((c) => [c.partition, c.offset]));
  let lag = 0;
  for (const end of ends) {
    const one = partitionLag(end, byPartition.get(end.partition));
    if (typeof one === 'string') return { ok: false, problem: one };
    lag += one;
  }
  if (!Number.isSafeInteger(lag)) return { ok: false, problem: 'the lag is past 2^53' };
  return { ok: true, lag, partitions: ends.length };
}
