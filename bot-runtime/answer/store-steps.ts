import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { SessionStore } from '../sessions/session-store.js';

/**
 * The Redis budget of one turn: after its first failed or timed-out Redis step the turn skips the
 * remaining ones (no history, no cache, not stored), so a sick Redis costs a turn at most one
 * store timeout (REDIS_COMMAND_TIMEOUT_MS) instead of one per step.
 */
export interface RedisBudget {
  ok: boolean;
}

/**
 * Runs the Redis steps of turns: a failure degrades the turn (it continues with a fallback value)
 * and is counted every time, but logged once per outage (a down Redis would otherwise log every turn).
 */
export class StoreSteps {
  /** True from the first failed Redis step until one succeeds again. */
  private inOutage = false;

  constructor(
    readonly store: SessionStore | undefined,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  /** Runs one Redis step of a turn within its budget; on failure the turn continues with `fallback`. */
  async run<T>(
    budget: RedisBudget,
    operation: string,
    fallback: T,
    step: (store: SessionStore) => Promise<T>,
  ): Promise<T> {
    const { store } = this;
    if (!store || !budget.ok) return fallback;
    try {
      const value = await step(store);
      this.recovered();
      return value;
    } catch (err) {
      budget.ok = false;
      this.degraded(operation, err);
      return fallback;
    }
  }

  /** A step nobody waits for (the answer cache's put): its failure is only counted and logged. */
  fireAndForget(operation: string, step: (store: SessionStore) => Promise<unknown>): void {
    if (this.store) step(this.store).catch((err: unknown) => this.degraded(operation, err));
  }

  private recovered(): void {
    if (!this.inOutage) return;
    this.inOutage = false;
    this.log.info('session store recovered; turns use history and cache again');
  }

  private degraded(operation: string, err: unknown): void {
    this.metrics.sessionErrors.inc({ operation });
    if (this.inOutage) return;
    this.inOutage = true;
    this.log.warn(
      { operation, err: errorMessage(err) },
      'session store degraded; turns continue without history and cache',
    );
  }
}
