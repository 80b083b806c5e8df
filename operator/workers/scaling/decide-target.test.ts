import { describe, expect, it } from '@jest/globals';
import { decideWorkerReplicas } from './decide.js';
import { lag, policy, T0 } from './support.js';
import type { WorkerScalingPolicy, WorkerScalingReason } from './types.js';

/** A step is allowed (no earlier step) and the pool is already running: the target shows as is. */
describe('decideWorkerReplicas: ceil(lag / target), clamped', () => {
  interface Row {
    name: string;
    pol?: Partial<WorkerScalingPolicy>;
    current: number;
    lagValue: number;
    partitions: number;
    want: number;
    reason: WorkerScalingReason;
  }
  const rows: Row[] = [
    { name: 'exact multiple', current: 2, lagValue: 300, partitions: 8, want: 3, reason: 'LagWithinTarget' },
    { name: 'rounds up', current: 2, lagValue: 301, partitions: 8, want: 4, reason: 'LagWithinTarget' },
    {
      name: 'one task needs one worker',
      current: 2,
      lagValue: 1,
      partitions: 8,
      want: 1,
      reason: 'LagWithinTarget',
    },
    { name: 'no change', current: 3, lagValue: 250, partitions: 8, want: 3, reason: 'LagWithinTarget' },
    {
      name: 'capped at the partitions below maxReplicas',
      current: 2,
      lagValue: 5000,
      partitions: 4,
      want: 4,
      reason: 'CappedAtPartitions',
    },
    {
      name: 'capped at maxReplicas below the partitions',
      current: 2,
      lagValue: 5000,
      partitions: 32,
      want: 10,
      reason: 'CappedAtMaxReplicas',
    },
    {
      name: 'partitions equal to maxReplicas: the user limit is named',
      current: 2,
      lagValue: 5000,
      partitions: 10,
      want: 10,
      reason: 'CappedAtMaxReplicas',
    },
    {
      name: 'below minReplicas',
      pol: { minReplicas: 3 },
      current: 5,
      lagValue: 50,
      partitions: 8,
      want: 3,
      reason: 'AtMinReplicas',
    },
    {
      name: 'minReplicas above the partitions: the floor wins, named as the partition cap',
      pol: { minReplicas: 6 },
      current: 6,
      lagValue: 5000,
      partitions: 4,
      want: 6,
      reason: 'CappedAtPartitions',
    },
    {
      name: 'a huge lag jumps to the cap in one step',
      current: 1,
      lagValue: 1e12,
      partitions: 8,
      want: 8,
      reason: 'CappedAtPartitions',
    },
  ];
  it.each(rows)('$name', ({ pol, current, lagValue, partitions, want, reason }) => {
    const d = decideWorkerReplicas(policy(pol), current, lag(lagValue, partitions), {}, T0);
    expect(d.desiredReplicas).toBe(want);
    expect(d.reason).toBe(reason);
    expect(d.lag).toBe(lagValue);
  });

  it.each([
    { name: 'zero target', targetLagPerReplica: 0 },
    { name: 'negative target', targetLagPerReplica: -5 },
    { name: 'NaN target', targetLagPerReplica: NaN },
  ])('a broken targetLagPerReplica ($name) reads as 1 per replica, never NaN', ({ targetLagPerReplica }) => {
    const d = decideWorkerReplicas(policy({ targetLagPerReplica }), 1, lag(3), {}, T0);
    expect(d.desiredReplicas).toBe(3);
  });

  it('maxReplicas below minReplicas is raised to minReplicas', () => {
    const d = decideWorkerReplicas(policy({ minReplicas: 4, maxReplicas: 2 }), 4, lag(5000), {}, T0);
    expect(d.desiredReplicas).toBe(4);
  });

  it.each([
    { name: 'above maxReplicas', current: 14, lagValue: 5000, want: 8 },
    { name: 'below minReplicas', current: 1, lagValue: 100, want: 2 },
  ])('a count outside the spec bounds ($name) is corrected at once, despite a recent step', (row) => {
    const pol = policy({ minReplicas: 2, maxReplicas: 8 });
    const d = decideWorkerReplicas(pol, row.current, lag(row.lagValue, 16), { lastScaleAt: T0 - 1000 }, T0);
    expect(d.desiredReplicas).toBe(row.want);
    expect(d.state.lastScaleAt).toBe(T0);
  });

  it('a decision leaves its input state alone and returns a new one', () => {
    const state = Object.freeze({ lastScaleAt: T0 - 120_000, lastActiveAt: T0 - 120_000 });
    const d = decideWorkerReplicas(policy(), 2, lag(800), state, T0);
    expect(state).toEqual({ lastScaleAt: T0 - 120_000, lastActiveAt: T0 - 120_000 });
    expect(d.state).toEqual({ lastScaleAt: T0, lastActiveAt: T0 });
  });

  it('a broken current count reads as 0 (a scale from zero, not NaN)', () => {
    const d = decideWorkerReplicas(policy(), NaN, lag(250), {}, T0);
    expect(d).toMatchObject({ desiredReplicas: 3, reason: 'ScaledFromZero' });
  });
});
