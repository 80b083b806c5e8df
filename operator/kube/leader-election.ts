import type { Logger } from 'pino';
import type { KubeClient, WriteFence } from './client.js';
import { Resources, apiVersionOf } from './resources.js';
import { errorMessage, isConflict, isNotFound } from './errors.js';
import type { KubeObject } from '../workload/types.js';
import { decideLease, microTime, observationKey, systemLeaseClock, validateTimings } from './lease-record.js';
import type { LeaseClock, LeaseSpec, LeaseTimings, Observation } from './lease-record.js';
import { nextTerm, termDeadline, verdict } from './lease-term.js';
import type { Term, TermEvent } from './lease-term.js';

/**
 * Leader election on a coordination.k8s.io/v1 Lease, following client-go's leaderelection, with
 * one invariant client-go does not keep: this process never writes after the lease could have been
 * taken by someone else.
 * - A candidate takes the lease when it is free, or when the holder's record has not changed for a
 *   whole lease duration *as observed locally* (so clocks of different hosts never compare).
 * - A term starts at the *start* of the acquire or renew attempt that succeeded (`renewedAt`, on the
 *   monotonic clock). A standby can only have seen that record after it was written, so it cannot
 *   take over before `renewedAt + leaseDuration`.
 * - The write fence (`verdict`) allows writes only while `now < renewedAt + renewDeadline`, and the
 *   renew deadline is strictly shorter than the lease duration: the margin covers the time between
 *   the fence check and the request reaching the API server, and clock-rate differences.
 * - Every lease request is bounded by the time left to that deadline. A renewal that has not
 *   succeeded by then, or that finds another holder, ends the term for good (`lost`).
 * - Expiry and the fence use the monotonic clock (performance.now); the wall clock only fills the
 *   Lease's RFC 3339 fields.
 * - On graceful shutdown the leader releases the lease (empty holder) so a standby takes over at
 *   its next retry instead of waiting the lease out.
 * Writes are PUTs with resourceVersion (compare-and-swap), not server-side apply: two candidates
 * racing must conflict, which apply with force would hide.
 *
 * The pure parts: ./lease-record.ts (the record, decideLease) and ./lease-term.ts (the term, the fence).
 */
export interface LeaderElectorOptions extends LeaseTimings {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  logger: Logger;
  clock?: LeaseClock;
}

type LeaseObject = KubeObject & { spec?: LeaseSpec };
type Attempt =
  { result: 'written' } | { result: 'held'; holder: string } | { result: 'failed'; reason: string };

export class LeaderElector {
  private observed: Observation | undefined;
  private term: Term = { phase: 'standby' };
  private stopped = false;
  private wake: (() => void) | undefined;
  /** The lease request in flight, if any (release waits for it, so it does not race a renewal). */
  private inFlight: Promise<unknown> = Promise.resolve();
  private readonly clock: LeaseClock;
  private readonly log: Logger;
  private readonly ended = new AbortController();

  constructor(private readonly o: LeaderElectorOptions) {
    validateTimings(o);
    this.clock = o.clock ?? systemLeaseClock;
    this.log = o.logger.child({ lease: `${o.namespace}/${o.name}`, identity: o.identity });
  }

  /** True while this process may write (leading and within the renew deadline). */
  get isLeader(): boolean {
    return this.writeVerdict() === undefined;
  }

  /** Aborted when the term ends (leadership lost, or stopped), with the reason. */
  get signal(): AbortSignal {
    return this.ended.signal;
  }

  /** The client's write fence: undefined while a write may go out now, else the reason it must not. */
  readonly writeVerdict: WriteFence = () => verdict(this.term, this.clock.mono(), this.o);

  /** Resolves once this instance holds the lease; false if stopped before that. */
  async acquire(): Promise<boolean> {
    while (!this.stopped) {
      const startedAt = this.clock.mono();
      const deadline = termDeadline(startedAt, this.o);
      const attempt = await this.attempt(deadline, () =>
        this.clock.mono() < deadline ? undefined : 'the acquisition attempt outlived the renew deadline',
      );
      if (attempt.result === 'written') {
        this.apply({ type: 'written', startedAt, at: this.clock.mono() });
        if (this.term.phase === 'leading') {
          this.log.info('acquired leadership');
          return true;
        }
      }
      await this.sleep(this.o.retryPeriodMs);
    }
    return false;
  }

  /**
   * Renews every retry period until stopped ('stopped') or until the term ends ('lost'). Runs on its
   * own, so nothing else the process does (informer sync, reconciles) delays a renewal, short of
   * blocking the event loop, which the fence covers.
   */
  async holdLeadership(): Promise<'lost' | 'stopped'> {
    for (;;) {
      if (this.term.phase !== 'leading') return this.term.phase === 'lost' ? 'lost' : 'stopped';
      const deadline = termDeadline(this.term.renewedAt, this.o);
      await this.sleep(Math.min(this.o.retryPeriodMs, Math.max(0, deadline - this.clock.mono())));
      if (this.stopped) return 'stopped';
      this.apply({ type: 'tick', at: this.clock.mono() });
      if (this.term.phase !== 'leading') continue;
      const startedAt = this.clock.mono();
      const attempt = await this.attempt(deadline, () => this.writeVerdict());
      if (this.stopped) return 'stopped';
      const at = this.clock.mono();
      if (attempt.result === 'written') this.apply({ type: 'written', startedAt, at });
      else if (attempt.result === 'held') this.apply({ type: 'superseded', holder: attempt.holder });
      else this.apply({ type: 'failed', at, reason: attempt.reason });
    }
  }

  /** Stops acquiring/renewing; a leader within its term hands the lease back so a standby need not wait it out. */
  async stopAndRelease(): Promise<void> {
    const wasLeading = this.term.phase === 'leading' ? this.term : undefined;
    this.stopped = true;
    this.wake?.();
    this.apply({ type: 'stopped' });
    if (!wasLeading) return;
    await this.inFlight;
    const deadline = termDeadline(wasLeading.renewedAt, this.o);
    // The release is a write like any other: only inside the term it belongs to.
    const fence: WriteFence = () => verdict(wasLeading, this.clock.mono(), this.o);
    if (fence()) return;
    try {
      const lease = await this.getLease(deadline);
      if (lease?.spec?.holderIdentity !== this.o.identity) return;
      const spec: LeaseSpec = {
        ...lease.spec,
        holderIdentity: null,
        leaseDurationSeconds: 1,
        renewTime: microTime(this.clock.wall()),
      };
      await this.o.client.update(
        Resources.Lease,
        { ...lease, spec },
        { timeoutMs: this.budget(deadline), fence },
      );
      this.log.info('released leadership');
    } catch (err) {
      this.log.warn(
        { err: errorMessage(err) },
        'could not release the lease; a standby takes over when it expires',
      );
    }
  }

  private apply(e: TermEvent): void {
    const before = this.term;
    this.term = nextTerm(before, e, this.o);
    if (this.term === before || this.term.phase === before.phase) return;
    if (this.term.phase === 'lost') {
      this.log.error({ reason: this.term.reason }, 'leadership lost; no more writes from this process');
      this.ended.abort(new Error(`leadership lost: ${this.term.reason}`));
    } else if (this.term.phase === 'stopped') {
      this.ended.abort(new Error('leader election stopped'));
    }
  }

  /** One get + create/update of the lease, every request bounded by `deadline` (monotonic ms), the write by `fence`. */
  private attempt(deadline: number, fence: WriteFence): Promise<Attempt> {
    const run = this.tryAcquireOrRenew(deadline, fence);
    this.inFlight = run;
    return run;
  }

  private async tryAcquireOrRenew(deadline: number, fence: WriteFence): Promise<Attempt> {
    try {
      const lease = await this.getLease(deadline);
      const key = observationKey(lease?.spec);
      if (lease && this.observed?.key !== key) this.observed = { key, at: this.clock.mono() };
      const now = { mono: this.clock.mono(), wall: this.clock.wall() };
      const decision = decideLease(
        lease?.spec,
        lease ? this.observed : undefined,
        this.o.identity,
        now,
        this.o,
      );
      if (decision.action === 'wait') return { result: 'held', holder: decision.holder };
      const opts = { timeoutMs: this.budget(deadline), fence };
      const written = lease
        ? await this.o.client.update<LeaseObject>(Resources.Lease, { ...lease, spec: decision.spec }, opts)
        : await this.o.client.create<LeaseObject>(
            Resources.Lease,
            this.o.namespace,
            this.newLease(decision.spec),
            opts,
          );
      this.observed = { key: observationKey(written.spec), at: this.clock.mono() };
      return { result: 'written' };
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err))
        this.log.warn({ err: errorMessage(err) }, 'lease request failed');
      return { result: 'failed', reason: errorMessage(err) };
    }
  }

  private getLease(deadline: number): Promise<LeaseObject | undefined> {
    return this.o.client.get<LeaseObject>(Resources.Lease, this.o.namespace, this.o.name, {
      timeoutMs: this.budget(deadline),
    });
  }

  /** Milliseconds left before `deadline`, at least 1 (a request with no time left then times out at once). */
  private budget(deadline: number): number {
    return Math.max(1, Math.floor(deadline - this.clock.mono()));
  }

  private newLease(spec: LeaseSpec): KubeObject {
    return {
      apiVersion: apiVersionOf(Resources.Lease),
      kind: 'Lease',
      metadata: { name: this.o.name, namespace: this.o.namespace },
      spec,
    };
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}
