/**
 * The Lease record of leader election (pure): whether a candidate may take or renew the lease, and the
 * record it then writes. The invariant and the protocol are described in ./leader-election.ts.
 */
export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface LeaseTimings {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** Both clocks the election reads: monotonic (ms, any origin) for every decision, wall only for the record. */
export interface LeaseClock {
  mono(): number;
  wall(): number;
}

export const systemLeaseClock: LeaseClock = { mono: () => performance.now(), wall: () => Date.now() };

/** One reading of both clocks. */
export interface Instant {
  mono: number;
  wall: number;
}

export interface Observation {
  /** Identity + renewTime of the record last seen, and the monotonic time it was first seen. */
  key: string;
  at: number;
}

export type LeaseDecision = { action: 'wait'; holder: string } | { action: 'take'; spec: LeaseSpec };

/** Throws unless the timings can keep the invariant (the same checks as config.ts, for other callers). */
export function validateTimings(t: LeaseTimings): void {
  if (!(t.renewDeadlineMs < t.leaseDurationMs))
    throw new Error('renew deadline must be shorter than the lease duration, or two leaders could overlap');
  if (!(t.retryPeriodMs < t.renewDeadlineMs))
    throw new Error('retry period must be shorter than the renew deadline');
}

/** Pure: whether `me` may take or renew the lease given the record and when we saw it change. */
export function decideLease(
  spec: LeaseSpec | undefined,
  observed: Observation | undefined,
  me: string,
  now: Instant,
  timings: LeaseTimings,
): LeaseDecision {
  const holder = spec?.holderIdentity ?? '';
  if (holder && holder !== me && !expired(spec, observed, now.mono, timings))
    return { action: 'wait', holder };
  return { action: 'take', spec: nextSpec(spec, holder, me, now.wall, timings) };
}

function nextSpec(
  spec: LeaseSpec | undefined,
  holder: string,
  me: string,
  wall: number,
  t: LeaseTimings,
): LeaseSpec {
  const renewing = holder === me;
  const transitions = spec?.leaseTransitions ?? 0;
  return {
    holderIdentity: me,
    leaseDurationSeconds: Math.round(t.leaseDurationMs / 1000),
    acquireTime: renewing && spec?.acquireTime ? spec.acquireTime : microTime(wall),
    renewTime: microTime(wall),
    // Taking over from another holder is a transition; renewing or taking a free lease is not.
    leaseTransitions: renewing || !holder ? transitions : transitions + 1,
  };
}

/** The holder's own lease duration counts, measured from when we saw its record last change. */
function expired(
  spec: LeaseSpec | undefined,
  observed: Observation | undefined,
  mono: number,
  t: LeaseTimings,
): boolean {
  if (observed === undefined) return true;
  const durationMs = (spec?.leaseDurationSeconds ?? t.leaseDurationMs / 1000) * 1000;
  return mono >= observed.at + durationMs;
}

export function observationKey(spec: LeaseSpec | undefined): string {
  return `${spec?.holderIdentity ?? ''}|${spec?.renewTime ?? ''}`;
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}
