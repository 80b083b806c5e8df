/** A counting semaphore, first come first served: at most `size` tasks in flight per process. */
export class Slots {
  private used = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async acquire(): Promise<void> {
    if (this.used < this.size) {
      this.used += 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Hands the slot to the next waiter, if any, else frees it. */
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.used -= 1;
  }

  get inUse(): number {
    return this.used;
  }
}

/**
 * Runs work for one key at a time, in the order `run` was called (FIFO): one session's tasks run
 * in offset order, and a task delivered twice into one batch (a redelivery next to its original)
 * runs after the first copy, which by then has marked it done, so it is a duplicate rather than a
 * second effect running alongside the first.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
