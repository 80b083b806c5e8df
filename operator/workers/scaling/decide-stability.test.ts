import { describe, expect, it } from '@jest/globals';
import { decideWorkerReplicas } from './decide.js';
import { lag, policy, s, T0, unavailable } from './support.js';
import type { LagObservation, WorkerScalingReason, WorkerScalingState } from './types.js';

describe('decideWorkerReplicas: one step per stabilizationSeconds', () => {
  interface Row {
    name: string;
    current: number;
    lagValue: number;
    lastScaleAt?: number;
    want: number;
    reason: WorkerScalingReason;
  }
  const rows: Row[] = [
    {
      name: 'up, 59 s after a step: waits',
      current: 2,
      lagValue: 800,
      lastScaleAt: s(-59),
      want: 2,
      reason: 'Stabilizing',
    },
    {
      name: 'up, 60 s after a step: steps',
      current: 2,
      lagValue: 800,
      lastScaleAt: s(-60),
      want: 8,
      reason: 'LagWithinTarget',
    },
    {
      name: 'down, 59 s after a step: waits',
      current: 8,
      lagValue: 200,
      lastScaleAt: s(-59),
      want: 8,
      reason: 'Stabilizing',
    },
    {
      name: 'down, 60 s after a step: steps',
      current: 8,
      lagValue: 200,
      lastScaleAt: s(-60),
      want: 2,
      reason: 'LagWithinTarget',
    },
    { name: 'no earlier step: steps at once', current: 2, lagValue: 800, want: 8, reason: 'LagWithinTarget' },
    {
      name: 'a clock behind the last step: waits',
      current: 2,
      lagValue: 800,
      lastScaleAt: s(5),
      want: 2,
      reason: 'Stabilizing',
    },
    {
      name: 'no step due: not Stabilizing',
      current: 2,
      lagValue: 200,
      lastScaleAt: s(-1),
      want: 2,
      reason: 'LagWithinTarget',
    },
  ];
  it.each(rows)('$name', ({ current, lagValue, lastScaleAt, want, reason }) => {
    const state: WorkerScalingState = lastScaleAt === undefined ? {} : { lastScaleAt };
    const d = decideWorkerReplicas(policy(), current, lag(lagValue), state, T0);
    expect(d.desiredReplicas).toBe(want);
    expect(d.reason).toBe(reason);
    expect(d.state.lastScaleAt).toBe(want === current ? lastScaleAt : T0);
  });

  it('a rising lag makes one rebalance per window, each straight to the count of its moment', () => {
    const steps: { t: number; to: number }[] = [];
    let state: WorkerScalingState = {};
    let current = 1;
    // Lag climbs 100 per 10 s for 3 minutes (19 decisions) on 32 partitions, maxReplicas 20.
    for (let t = 0; t <= 180; t += 10) {
      const d = decideWorkerReplicas(
        policy({ maxReplicas: 20 }),
        current,
        lag(100 + t * 10, 32),
        state,
        s(t),
      );
      if (d.desiredReplicas !== current) steps.push({ t, to: d.desiredReplicas });
      current = d.desiredReplicas;
      state = d.state;
    }
    // t=0 needs 1 (no step); 10 s: 200 -> 2; 70 s: 800 -> 8; 130 s: 1400 -> 14; at 180 s 19 is due at 190 s.
    expect(steps).toEqual([
      { t: 10, to: 2 },
      { t: 70, to: 8 },
      { t: 130, to: 14 },
    ]);
  });
});

describe('decideWorkerReplicas: no data is not lag 0', () => {
  const broken: { name: string; obs: LagObservation }[] = [
    { name: 'unavailable', obs: unavailable('TopicNotFound') },
    { name: 'negative lag', obs: { kind: 'lag', lag: -5, partitions: 8, observedAt: T0 } },
    { name: 'NaN lag', obs: { kind: 'lag', lag: NaN, partitions: 8, observedAt: T0 } },
    { name: 'infinite lag', obs: { kind: 'lag', lag: Infinity, partitions: 8, observedAt: T0 } },
    { name: 'no partitions', obs: { kind: 'lag', lag: 10, partitions: 0, observedAt: T0 } },
    { name: 'fractional partitions', obs: { kind: 'lag', lag: 10, partitions: 2.5, observedAt: T0 } },
    { name: 'NaN partitions', obs: { kind: 'lag', lag: 10, partitions: NaN, observedAt: T0 } },
  ];
  it.each(broken)('$name keeps the count, long idle or not', ({ obs }) => {
    const idle: WorkerScalingState = { lastActiveAt: T0 - 3600_000, lastScaleAt: T0 - 3600_000 };
    const d = decideWorkerReplicas(policy(), 4, obs, idle, T0);
    expect(d).toMatchObject({ desiredReplicas: 4, reason: 'LagUnavailable' });
    expect(d.lag).toBeUndefined();
    expect(d.state).toEqual({ lastActiveAt: T0, lastScaleAt: T0 - 3600_000 });
  });

  it('names the reason in the message, and InvalidLagData for broken numbers', () => {
    expect(decideWorkerReplicas(policy(), 4, unavailable('Timeout'), {}, T0).message).toContain('Timeout');
    const d = decideWorkerReplicas(policy(), 4, lag(-1), {}, T0);
    expect(d.message).toContain('InvalidLagData');
    expect(d.message).toContain('lag -1 is not a finite non-negative number');
    const p = decideWorkerReplicas(
      policy(),
      4,
      { kind: 'lag', lag: 3, partitions: 0, observedAt: T0 },
      {},
      T0,
    );
    expect(p.message).toContain('InvalidLagData: partition count 0 is not a positive integer');
  });

  it.each([
    { name: 'zero stays zero', current: 0, want: 0 },
    { name: 'above maxReplicas is brought to it', current: 14, want: 10 },
  ])('within the spec bounds only: $name', ({ current, want }) => {
    const d = decideWorkerReplicas(policy(), current, unavailable(), {}, T0);
    expect(d.desiredReplicas).toBe(want);
    expect(d.state.lastScaleAt).toBe(want === current ? undefined : T0);
  });

  it('an outage restarts the cooldown: zero needs cooldownSeconds of lag seen at 0 afterwards', () => {
    let state: WorkerScalingState = { lastActiveAt: s(-1000), lastScaleAt: s(-1000) };
    state = decideWorkerReplicas(policy(), 1, unavailable(), state, s(0)).state;
    const soon = decideWorkerReplicas(policy(), 1, lag(0), state, s(10));
    expect(soon.desiredReplicas).toBe(1);
    expect(decideWorkerReplicas(policy(), 1, lag(0), soon.state, s(300)).desiredReplicas).toBe(0);
  });
});
