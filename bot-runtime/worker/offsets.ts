/**
 * Which offset of a partition's batch may be committed while its tasks finish out of order: the
 * last one before the first unfinished task. Committing past an unfinished task would lose it if
 * the worker died (at least once needs "nothing after an unfinished task"). Pure.
 */
export class OffsetTracker {
  private readonly finished = new Set<string>();
  private next = 0;

  /** `offsets`: the batch's offsets in partition order (kafkajs gives them as strings). */
  constructor(private readonly offsets: readonly string[]) {}

  /** Marks a task finished (done, duplicate or dead-lettered); returns the offset now committable, if it moved. */
  finish(offset: string): string | undefined {
    this.finished.add(offset);
    let last: string | undefined;
    while (this.next < this.offsets.length) {
      const candidate = this.offsets[this.next];
      if (candidate === undefined || !this.finished.has(candidate)) break;
      last = candidate;
      this.next += 1;
    }
    return last;
  }
}
