import { describe, expect, it } from '@jest/globals';
import { decideLease, microTime, observationKey, validateTimings } from './lease-record.js';

const timings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };
const t0 = Date.parse('2026-11-28T12:00:00Z');
/** The monotonic clock has its own origin, far from the wall clock: the two must never mix. */
const m0 = 5_000;
const at = (ms: number): { mono: number; wall: number } => ({ mono: m0 + ms, wall: t0 + ms });

describe('decideLease', () => {
  it('takes a missing lease', () => {
    const d = decideLease(undefined, undefined, 'me', at(0), timings);
    expect(d).toEqual({
      action: 'take',
      spec: {
        holderIdentity: 'me',
        leaseDurationSeconds: 15,
        acquireTime: '2026-11-28T12:00:00.000000Z',
        renewTime: '2026-11-28T12:00:00.000000Z',
        leaseTransitions: 0,
      },
    });
  });

  it('waits while another holder renewed within the lease duration (as observed locally)', () => {
    const spec = { holderIdentity: 'other', leaseDurationSeconds: 15, renewTime: microTime(t0 - 60_000) };
    // The remote renewTime is old, but we only saw this record 14.9 s ago: clocks are not compared.
    const observed = { key: observationKey(spec), at: m0 - 14_900 };
    expect(decideLease(spec, observed, 'me', at(0), timings)).toEqual({ action: 'wait', holder: 'other' });
  });

  it('takes over once the record has not changed for a full lease duration', () => {
    const spec = { holderIdentity: 'other', leaseDurationSeconds: 15, acquireTime: 'x', leaseTransitions: 4 };
    const observed = { key: observationKey(spec), at: m0 - 15_000 };
    const d = decideLease(spec, observed, 'me', at(0), timings);
    expect(d).toMatchObject({
      action: 'take',
      spec: { holderIdentity: 'me', leaseTransitions: 5, acquireTime: microTime(t0) },
    });
  });

  it('ignores the wall clock for expiry: a wall clock jumping ahead takes nothing over', () => {
    const spec = { holderIdentity: 'other', leaseDurationSeconds: 15 };
    const observed = { key: observationKey(spec), at: m0 };
    const jumped = { mono: m0 + 1_000, wall: t0 + 3_600_000 };
    expect(decideLease(spec, observed, 'me', jumped, timings).action).toBe('wait');
  });

  it('takes a released lease (empty holder) immediately without counting a transition', () => {
    const spec = { holderIdentity: null, leaseDurationSeconds: 1, leaseTransitions: 2 };
    const observed = { key: observationKey(spec), at: m0 };
    expect(decideLease(spec, observed, 'me', at(0), timings)).toMatchObject({
      action: 'take',
      spec: { leaseTransitions: 2 },
    });
  });

  it('renews its own lease keeping acquireTime', () => {
    const spec = {
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      acquireTime: 'first',
      leaseTransitions: 1,
    };
    const d = decideLease(spec, { key: observationKey(spec), at: m0 }, 'me', at(2000), timings);
    expect(d).toMatchObject({
      action: 'take',
      spec: { acquireTime: 'first', renewTime: microTime(t0 + 2000), leaseTransitions: 1 },
    });
  });

  it("honours the holder's leaseDurationSeconds rather than our own", () => {
    const spec = { holderIdentity: 'other', leaseDurationSeconds: 60 };
    const observed = { key: observationKey(spec), at: m0 - 30_000 };
    expect(decideLease(spec, observed, 'me', at(0), timings).action).toBe('wait');
  });
});

describe('validateTimings', () => {
  it.each([
    [{ leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 1000 }, undefined],
    [{ leaseDurationMs: 4000, renewDeadlineMs: 4000, retryPeriodMs: 1000 }, /renew deadline must be shorter/],
    [{ leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 3000 }, /retry period must be shorter/],
  ])('%j', (t, error) => {
    if (error) expect(() => validateTimings(t)).toThrow(error);
    else expect(() => validateTimings(t)).not.toThrow();
  });
});
