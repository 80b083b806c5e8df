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
