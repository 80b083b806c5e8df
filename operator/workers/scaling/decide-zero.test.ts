import { describe, expect, it } from '@jest/globals';
import { decideWorkerReplicas } from './decide.js';
import { lag, policy, s, T0 } from './support.js';
import type { WorkerScalingPolicy, WorkerScalingReason, WorkerScalingState } from './types.js';

describe('decideWorkerReplicas: activation from zero', () => {
  interface Row {
    name: string;
    pol?: Partial<WorkerScalingPolicy>;
    lagValue: number;
    state?: WorkerScalingState;
    want: number;
    reason: WorkerScalingReason;
  }
  const rows: Row[] = [
    { name: 'lag 0 stays at zero', lagValue: 0, want: 0, reason: 'AtMinReplicas' },
    { name: 'the first task starts one worker', lagValue: 1, want: 1, reason: 'ScaledFromZero' },
    { name: 'a backlog starts its whole count at once', lagValue: 450, want: 5, reason: 'ScaledFromZero' },
    {
      name: 'capped at the partitions from zero too',
      lagValue: 5000,
      want: 8,
      reason: 'ScaledFromZero',
    },
    {
      name: 'at activationLag: stays at zero',
      pol: { activationLag: 20 },
      lagValue: 20,
      want: 0,
      reason: 'AtMinReplicas',
    },
    {
      name: 'above activationLag: starts',
      pol: { activationLag: 20 },
      lagValue: 21,
      want: 1,
      reason: 'ScaledFromZero',
    },
    {
      name: 'no stabilization wait right after a scale to zero',
      lagValue: 1,
      state: { lastScaleAt: T0 - 1000, lastActiveAt: T0 - 400_000 },
      want: 1,
      reason: 'ScaledFromZero',
    },
    {
      name: 'maxReplicas 0 never starts a worker',
      pol: { maxReplicas: 0 },
      lagValue: 500,
      want: 0,
      reason: 'CappedAtMaxReplicas',
    },
    {
      name: 'minReplicas above 0 is restored at once, to the lag count',
      pol: { minReplicas: 2 },
      lagValue: 450,
      state: { lastScaleAt: T0 - 1000 },
      want: 5,
      reason: 'LagWithinTarget',
    },
  ];
  it.each(rows)('$name', ({ pol, lagValue, state, want, reason }) => {
    const d = decideWorkerReplicas(policy(pol), 0, lag(lagValue), state ?? {}, T0);
    expect(d.desiredReplicas).toBe(want);
    expect(d.reason).toBe(reason);
    if (want > 0) expect(d.state.lastScaleAt).toBe(T0);
  });
});

describe('decideWorkerReplicas: cooldown to zero', () => {
  const idleSince = (seconds: number): WorkerScalingState => ({
    lastActiveAt: T0 - seconds * 1000,
    lastScaleAt: T0 - 3600_000,
  });
  interface Row {
    name: string;
    pol?: Partial<WorkerScalingPolicy>;
    current: number;
    lagValue: number;
    state: WorkerScalingState;
    want: number;
    reason: WorkerScalingReason;
  }
  const rows: Row[] = [
    {
      name: 'idle for the cooldown: to zero',
      current: 3,
      lagValue: 0,
      state: idleSince(300),
      want: 0,
      reason: 'CooledDownToZero',
    },
    {
      name: 'idle 1 s short of the cooldown: down to 1, not 0',
      current: 3,
      lagValue: 0,
      state: idleSince(299),
      want: 1,
      reason: 'LagWithinTarget',
    },
    {
      name: 'at 1 and still cooling down: holds',
      current: 1,
      lagValue: 0,
      state: idleSince(10),
      want: 1,
      reason: 'LagWithinTarget',
    },
    {
      name: 'minReplicas 1: never to zero',
      pol: { minReplicas: 1 },
      current: 3,
      lagValue: 0,
      state: idleSince(3600),
      want: 1,
      reason: 'AtMinReplicas',
    },
    {
      name: 'a small lag is not idle: no cooldown',
      current: 1,
      lagValue: 1,
      state: idleSince(3600),
      want: 1,
      reason: 'LagWithinTarget',
    },
    {
      name: 'cooled down but a step was just made: waits (one rebalance per window)',
      current: 1,
      lagValue: 0,
      state: { lastActiveAt: T0 - 400_000, lastScaleAt: T0 - 30_000 },
      want: 1,
      reason: 'Stabilizing',
    },
    {
      name: 'a fresh state (operator restart) does not scale to zero at once',
      current: 1,
      lagValue: 0,
      state: {},
      want: 1,
      reason: 'LagWithinTarget',
    },
    {
      name: 'above maxReplicas while idle: corrected at once, but only to 1 before the cooldown',
      pol: { maxReplicas: 4 },
      current: 6,
      lagValue: 0,
      state: { lastActiveAt: T0 - 10_000, lastScaleAt: T0 - 1000 },
      want: 1,
      reason: 'LagWithinTarget',
    },
  ];
  it.each(rows)('$name', ({ pol, current, lagValue, state, want, reason }) => {
    const d = decideWorkerReplicas(policy(pol), current, lag(lagValue), state, T0);
    expect(d.desiredReplicas).toBe(want);
    expect(d.reason).toBe(reason);
  });

  it('the cooldown clock starts at the first decision after a restart, and counts from there', () => {
    const first = decideWorkerReplicas(policy(), 1, lag(0), {}, s(0));
    expect(first.state.lastActiveAt).toBe(s(0));
    const later = decideWorkerReplicas(policy(), 1, lag(0), first.state, s(300));
    expect(later).toMatchObject({ desiredReplicas: 0, reason: 'CooledDownToZero' });
  });

  it('lag above 0 restarts the cooldown', () => {
    const busy = decideWorkerReplicas(policy(), 1, lag(5), idleSince(299), s(0));
    expect(busy.state.lastActiveAt).toBe(s(0));
    const idle = decideWorkerReplicas(policy(), 1, lag(0), busy.state, s(299));
    expect(idle.desiredReplicas).toBe(1);
    expect(decideWorkerReplicas(policy(), 1, lag(0), idle.state, s(300)).desiredReplicas).toBe(0);
  });
});
