/**
 * What /healthz reports: the operator is alive only while its loops make progress. Two signals:
 * - the worker pool: no reconcile has been running longer than `maxReconcileMs`. Every network call of
 *   a reconcile has its own deadline, so one that outlives the bound is wedged, and so is its worker;
 * - the event loop: a heartbeat timer that fired more than `maxLoopLagMs` late means the loop was
 *   blocked (a synchronous loop that never ends cannot even answer /healthz, which a probe also
 *   counts as a failure). A stall is remembered for `stallMemoryMs`, so a probe that arrives after
 *   the loop recovered still sees it.
 * Failing liveness makes the kubelet restart the operator; a standby takes over the lease meanwhile.
 */
export interface InFlightSource {
  oldestInFlight(): { key: string; ms: number } | undefined;
}

export interface LivenessOptions {
  maxReconcileMs: number;
  maxLoopLagMs: number;
  /** Heartbeat period; default 1 s. */
  tickMs?: number;
  /** How long a seen stall keeps /healthz failing; default 30 s. */
  stallMemoryMs?: number;
  /** Monotonic ms; default performance.now. */
  now?: () => number;
}

export interface LivenessResult {
  ok: boolean;
  reason: string;
}

export class Liveness {
  private readonly now: () => number;
  private readonly tickMs: number;
  private readonly stallMemoryMs: number;
  private lastTick: number;
  private stall: { at: number; lagMs: number } | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sources: InFlightSource[],
    private readonly opts: LivenessOptions,
  ) {
    this.now = opts.now ?? (() => performance.now());
    this.tickMs = opts.tickMs ?? 1_000;
    this.stallMemoryMs = opts.stallMemoryMs ?? 30_000;
    this.lastTick = this.now();
  }

  start(): void {
    this.lastTick = this.now();
    this.timer ??= setInterval(() => this.tick(), this.tickMs);
    this.timer.unref(); // the heartbeat must not keep a stopping process alive
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One heartbeat (the timer calls it; tests call it with an injected clock). */
  tick(): void {
    const now = this.now();
    const lagMs = now - this.lastTick - this.tickMs;
    if (lagMs > this.opts.maxLoopLagMs) this.stall = { at: now, lagMs };
    this.lastTick = now;
  }

  check(): LivenessResult {
    const now = this.now();
    for (const source of this.sources) {
      const oldest = source.oldestInFlight();
      if (oldest && oldest.ms > this.opts.maxReconcileMs) {
        return {
          ok: false,
          reason: `reconcile of ${oldest.key} running for ${secs(oldest.ms)} (bound ${secs(this.opts.maxReconcileMs)})`,
        };
      }
    }
    const silentMs = now - this.lastTick - this.tickMs;
    if (this.timer !== undefined && silentMs > this.opts.maxLoopLagMs) {
      return { ok: false, reason: `event loop heartbeat ${secs(silentMs)} late` };
    }
    if (this.stall && now - this.stall.at <= this.stallMemoryMs) {
      return {
        ok: false,
        reason: `event loop stalled for ${secs(this.stall.lagMs)} ${secs(now - this.stall.at)} ago`,
      };
    }
    return { ok: true, reason: 'ok' };
  }
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
