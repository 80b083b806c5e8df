/**
 * Bounded FIFO of events waiting for Kafka. The bound counts everything not yet acknowledged,
 * including the batch in flight, so memory stays bounded however long the broker is away.
 * Past the bound new events are refused; the caller counts and logs the drop. Pure, no I/O.
 */
export class EventBuffer<T> {
  private queue: T[] = [];
  private head = 0;
  private inFlight = 0;

  constructor(readonly capacity: number) {}

  /** Events not yet acknowledged (queued + in flight). */
  get pending(): number {
    return this.queued + this.inFlight;
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  /** Adds an event; false when the buffer is full (the event is dropped). */
  push(event: T): boolean {
    if (this.pending >= this.capacity) return false;
    this.queue.push(event);
    return true;
  }

  /** Takes up to max events for sending; exactly one of ack() or nack() must follow. */
  take(max: number): T[] {
    if (this.inFlight > 0) throw new Error('a batch is already in flight');
    const batch = this.queue.slice(this.head, this.head + max);
    this.head += batch.length;
    this.inFlight = batch.length;
    this.compact();
    return batch;
  }

  /** The in-flight batch was acknowledged. */
  ack(): void {
    this.inFlight = 0;
  }

  /** The in-flight batch failed: it goes back to the front, in order, to be retried. */
  nack(batch: T[]): void {
    this.queue = [...batch, ...this.queue.slice(this.head)];
    this.head = 0;
    this.inFlight = 0;
  }

  /** Empties the buffer, returning what was queued (used at shutdown to count drops). */
  drain(): T[] {
    const rest = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    return rest;
  }

  private compact(): void {
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
