/**
 * The term of a leader (pure): standby, leading since a renewal start, lost or stopped, and the write
 * fence derived from it. The invariant is described in ./leader-election.ts.
 */
import type { LeaseTimings } from './lease-record.js';

/** Where this process stands; `lost` and `stopped` are final. Times are monotonic ms. */
export type Term =
  | { phase: 'standby' }
  | { phase: 'leading'; renewedAt: number }
  | { phase: 'lost'; reason: string }
  | { phase: 'stopped' };

export type TermEvent =
  /** An acquire or renew attempt that started at `startedAt` wrote the lease; its answer came at `at`. */
  | { type: 'written'; startedAt: number; at: number }
  /** A renew attempt failed (error, conflict, timeout). */
  | { type: 'failed'; at: number; reason: string }
  /** A renew attempt found another holder in a record it had not written. */
  | { type: 'superseded'; holder: string }
  /** Time passed (the renew loop woke up). */
  | { type: 'tick'; at: number }
  | { type: 'stopped' };

/** The end of the term's write window: renewedAt + renewDeadline (< renewedAt + leaseDuration). */
export function termDeadline(renewedAt: number, t: LeaseTimings): number {
  return renewedAt + t.renewDeadlineMs;
}

/** Pure transition of the term. */
export function nextTerm(term: Term, e: TermEvent, t: LeaseTimings): Term {
  if (term.phase === 'lost' || term.phase === 'stopped') return term;
  if (e.type === 'stopped') return { phase: 'stopped' };
  if (term.phase === 'standby') {
    // An acquisition whose answer came too late to write anything is not a term (the next attempt renews).
    return e.type === 'written' && e.at < termDeadline(e.startedAt, t)
      ? { phase: 'leading', renewedAt: e.startedAt }
      : term;
  }
  if (e.type === 'superseded') return { phase: 'lost', reason: `the lease is held by ${e.holder}` };
  const deadline = termDeadline(term.renewedAt, t);
  if (e.at >= deadline) {
    const why = e.type === 'failed' ? `: last error: ${e.reason}` : '';
    return { phase: 'lost', reason: `not renewed within the renew deadline (${t.renewDeadlineMs} ms)${why}` };
  }
  if (e.type === 'written') return { phase: 'leading', renewedAt: Math.max(term.renewedAt, e.startedAt) };
  return term;
}

/** Pure write fence: undefined when a write may be sent at monotonic time `now`, else why not. */
export function verdict(term: Term, now: number, t: LeaseTimings): string | undefined {
  switch (term.phase) {
    case 'standby':
      return 'not the leader';
    case 'stopped':
      return 'leader election stopped';
    case 'lost':
      return `leadership lost: ${term.reason}`;
    case 'leading': {
      const deadline = termDeadline(term.renewedAt, t);
      return now < deadline
        ? undefined
        : `the lease was last renewed ${Math.round(now - term.renewedAt)} ms ago`;
    }
  }
}

/**
 * `fn` made to end (reject with the signal's reason) as soon as `signal` aborts: the manager wraps
 * each reconcile in it, so a worker is free the moment the term ends. What the abandoned call
 * still tries to write is refused by the client's write fence.
 */
export function endsWithTerm<A, R>(fn: (arg: A) => Promise<R>, signal: AbortSignal): (arg: A) => Promise<R> {
  return (arg) => {
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    return new Promise<R>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      fn(arg)
        .then(resolve, reject)
        .finally(() => signal.removeEventListener('abort', onAbort));
    });
  };
}
