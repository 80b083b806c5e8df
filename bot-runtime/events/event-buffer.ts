/**
 * Bounded FIFO of events waiting for Kafka. The bound counts everything not yet acknowledged,
 * including the batch in flight, so memory stays bounded however long the broker is away. It is a
 * bound in events and, with `sizeOf`, in bytes: events are tenant-sized (their text), so a count
 * alone does not bound memory. Past either bound new events are refused; the caller counts and
 * logs the drop. Pure, no I/O.
 */
export class EventBuffer<T> {
  private queue: T[] = [];
  private head = 0;
  private inFlight = 0;
  private inFlightBytes = 0;
  private queuedBytesHeld = 0;

  constructor(
    readonly capacity: number,
    readonly capacityBytes = Number.POSITIVE_INFINITY,
    private readonly sizeOf: (event: T) => number = () => 0,
  ) {}

  /** Events not yet acknowledged (queued + in flight). */
  get pending(): number {
    return this.queued + this.inFlight;
  }

  /** Bytes (by sizeOf) not yet acknowledged. */
  get pendingBytes(): number {
    return this.queuedBytesHeld + this.inFlightBytes;
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  /** Adds an event; false when the buffer is full, in events or bytes (the event is dropped). */
  push(event: T): boolean {
    const size = this.sizeOf(event);
    if (this.pending >= this.capacity || this.pendingBytes + size > this.capacityBytes) return false;
    this.queue.push(event);
    this.queuedBytesHeld += size;
    return true;
  }

  /**
   * Takes up to max events and maxBytes for sending (always at least one event when any is
   * queued, so an event bigger than maxBytes travels alone); exactly one of ack() or nack() must
   * follow.
   */
  take(max: number, maxBytes = Number.POSITIVE_INFINITY): T[] {
    if (this.inFlight > 0) throw new Error('a batch is already in flight');
    let end = this.head;
    let bytes = 0;
    while (end < this.queue.length && end - this.head < max) {
      const size = this.sizeOf(this.queue[end] as T);
      if (end > this.head && bytes + size > maxBytes) break;
      bytes += size;
      end += 1;
    }
    const batch = this.queue.slice(this.head, end);
    this.head = end;
    this.inFlight = batch.length;
    this.inFlightBytes = bytes;
    this.queuedBytesHeld -= bytes;
    this.compact();
    return batch;
  }

  /** The in-flight batch was acknowledged (or given up on). */
  ack(): void {
    this.inFlight = 0;
    this.inFlightBytes = 0;
  }

  /** The in-flight batch failed: it goes back to the front, in order, to be retried. */
  nack(batch: T[]): void {
    this.queue = [...batch, ...this.queue.slice(this.head)];
    this.head = 0;
    this.queuedBytesHeld += this.inFlightBytes;
    this.inFlight = 0;
    this.inFlightBytes = 0;
  }

  /** Empties the buffer, returning what was queued (used at shutdown to count drops). */
  drain(): T[] {
    const rest = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    this.queuedBytesHeld = 0;
    return rest;
  }

  private compact(): void {
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
