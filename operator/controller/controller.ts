import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { OperatorMetrics } from '../metrics.js';
import type { WorkQueue } from './work-queue.js';
import { errorMessage } from '../kube/errors.js';

export interface ReconcileRequest {
  namespace: string;
  name: string;
  /** Child logger bound to controller, namespace, name and reconcileID. */
  log: Logger;
}

export interface ReconcileResult {
  /** Reconcile again after this long even without an event (polling external state, resync). */
  requeueAfterMs?: number;
}

/** A failure retrying cannot fix (an invalid spec): logged, not requeued until the next event. */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

export type Reconciler = (req: ReconcileRequest) => Promise<ReconcileResult>;

export interface ControllerOptions {
  name: string;
  queue: WorkQueue;
  reconcile: Reconciler;
  concurrency: number;
  log: Logger;
  metrics: OperatorMetrics;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0
    ? { namespace: '', name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/**
 * Runs `concurrency` workers over the queue. The queue guarantees one reconcile in flight per
 * key; this loop turns results into queue operations: success forgets the key's backoff (and
 * schedules requeueAfter), an error requeues with backoff, a TerminalError is dropped.
 */
export class Controller {
  private workers: Promise<void>[] = [];

  constructor(private readonly o: ControllerOptions) {}

  start(): void {
    for (let i = 0; i < this.o.concurrency; i++) this.workers.push(this.worker());
  }

  /** Stops taking keys and waits for in-flight reconciles to finish. */
  async stop(): Promise<void> {
    this.o.queue.shutdown();
    await Promise.all(this.workers);
  }

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.o.queue.get();
      if (key === undefined) return;
      this.updateGauges();
      try {
        await this.processKey(key);
      } finally {
        this.o.queue.done(key);
        this.updateGauges();
      }
    }
  }

  private async processKey(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const log = this.o.log.child({
      controller: this.o.name,
      namespace,
      name,
      reconcileID: randomBytes(6).toString('hex'),
    });
    const started = performance.now();
    const result = await this.runReconcile({ namespace, name, log }, key);
    const seconds = (performance.now() - started) / 1000;
    this.o.metrics.reconcileTotal.inc({ controller: this.o.name, result });
    this.o.metrics.reconcileDuration.observe({ controller: this.o.name, result }, seconds);
  }

  private async runReconcile(req: ReconcileRequest, key: string): Promise<string> {
    const { queue } = this.o;
    try {
      const res = await this.o.reconcile(req);
      queue.forget(key);
      if (res.requeueAfterMs !== undefined) queue.addAfter(key, res.requeueAfterMs);
      req.log.debug({ requeueAfterMs: res.requeueAfterMs }, 'reconciled');
      return res.requeueAfterMs === undefined ? 'success' : 'requeue';
    } catch (err) {
      if (err instanceof TerminalError) {
        queue.forget(key);
        req.log.error({ err: errorMessage(err) }, 'reconcile failed permanently; waiting for a change');
        return 'terminal_error';
      }
      const delay = queue.addRateLimited(key);
      this.o.metrics.queueRetries.inc({ controller: this.o.name });
      req.log.warn(
        { err: errorMessage(err), retryInMs: delay, retries: queue.retries(key) },
        'reconcile failed',
      );
      return 'error';
    }
  }

  private updateGauges(): void {
    this.o.metrics.queueDepth.set({ controller: this.o.name }, this.o.queue.length());
    this.o.metrics.queueInFlight.set({ controller: this.o.name }, this.o.queue.inFlight());
  }
}
