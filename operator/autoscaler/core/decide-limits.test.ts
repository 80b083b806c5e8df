import { describe, expect, it } from '@jest/globals';
import { decide, initialState } from './decide.js';
import type { AutoscalerState } from './types.js';
import { s, policy, sample, input } from './support.js';

describe('decide: scale-down stabilization window (300 s)', () => {
  it.each([
    { name: 'a high recommendation 299 s ago holds the count', recAge: 299, want: 8 },
    { name: 'one 301 s ago is forgotten', recAge: 301, want: 2 },
  ])('$name', ({ recAge, want }) => {
    const now = s(400);
    const state: AutoscalerState = {
      ...initialState(8, now),
      recommendations: [{ time: now - recAge * 1000, replicas: 8 }],
    };
    const d = decide(input({ currentReplicas: 8, state, now, history: [sample(400, 20, 8)] }));
    expect(d.desiredReplicas).toBe(want);
  });

  it('scale-down takes the highest recommendation inside the window', () => {
    const now = s(400);
    const recommendations = [
      { time: s(200), replicas: 6 },
      { time: s(300), replicas: 5 },
    ];
    const d = decide(
      input({
        currentReplicas: 8,
        state: { ...initialState(8, now), recommendations },
        now,
        history: [sample(400, 20, 8)],
      }),
    );
    expect(d.desiredReplicas).toBe(6);
  });

  it('after a restart (fresh state) the current count is protected for a full window', () => {
    const now = s(400);
    const d = decide(
      input({ currentReplicas: 8, state: initialState(8, now), now, history: [sample(400, 20, 8)] }),
    );
    expect(d.desiredReplicas).toBe(8);
  });
});

describe('decide: a fall of traffic shortens the scale-down window to trafficDropWindowSeconds (60 s)', () => {
  /** A peak of 8 pods 200 s ago at `peakTurns`, then 2-pod recommendations at `nowTurns` for the last 90 s. */
  function afterPeak(peakTurns: number, nowTurns: number): number {
    const now = s(400);
    const recommendations = [
      { time: s(200), replicas: 8, turns: peakTurns },
      ...[90, 75, 60, 45, 30, 15].map((a) => ({ time: now - a * 1000, replicas: 2, turns: nowTurns })),
    ];
    const history = [{ ...sample(400, 20, 8), turns: nowTurns }];
    const state = { ...initialState(8, now), recommendations };
    return decide(input({ currentReplicas: 8, state, now, history })).desiredReplicas;
  }
  it.each([
    { name: 'turns per window fell from 1000 to 100 over 90 s: down at once', peak: 1000, now: 100, want: 2 },
    {
      name: 'turns unchanged (the in-flight fell, not the traffic): the 300 s window holds',
      peak: 100,
      now: 100,
      want: 8,
    },
    { name: 'turns down by a third only: the 300 s window holds', peak: 150, now: 100, want: 8 },
  ])('$name', ({ peak, now, want }) => {
    expect(afterPeak(peak, now)).toBe(want);
  });
});

describe('decide: rate policies (HPA v2 semantics)', () => {
  const upPods = {
    stabilizationWindowSeconds: 0,
    policies: [{ type: 'Pods' as const, value: 2, periodSeconds: 60 }],
    selectPolicy: 'Max' as const,
  };
  it.each([
    {
      name: 'default up: max(+100%, +4 pods) from 2',
      current: 2,
      inflight: 200,
      up: undefined,
      events: [],
      want: 6,
    },
    { name: 'default up: +100% from 10', current: 10, inflight: 500, up: undefined, events: [], want: 20 },
    { name: 'Pods 2/60s', current: 4, inflight: 200, up: upPods, events: [], want: 6 },
    {
      name: 'Pods 2/60s counts earlier changes in the period',
      current: 6,
      inflight: 200,
      up: upPods,
      events: [{ time: s(30), delta: 2 }],
      want: 6,
    },
    {
      name: 'Pods 2/60s: older changes do not count',
      current: 6,
      inflight: 200,
      up: upPods,
      events: [{ time: s(0), delta: 2 }],
      want: 8,
    },
    {
      name: 'Disabled never scales up',
      current: 4,
      inflight: 200,
      up: { ...upPods, selectPolicy: 'Disabled' as const },
      events: [],
      want: 4,
    },
  ])('$name', ({ current, inflight, up, events, want }) => {
    const base = policy();
    // A threshold panic never reaches: these cases are about stable-mode rate limits.
    const pol = policy({
      panic: { threshold: 1000, windowSeconds: 10 },
      behavior: { ...base.behavior, scaleUp: up ?? base.behavior.scaleUp },
    });
    const state = { ...initialState(current, s(60)), scaleEvents: events };
    const d = decide(
      input({ policy: pol, currentReplicas: current, state, history: [sample(60, inflight, current)] }),
    );
    expect(d.desiredReplicas).toBe(want);
  });

  it('scale-down Percent 50/60s halves at most, Min picks the smaller change', () => {
    const base = policy();
    const scaleDown = {
      stabilizationWindowSeconds: 0,
      policies: [
        { type: 'Percent' as const, value: 50, periodSeconds: 60 },
        { type: 'Pods' as const, value: 1, periodSeconds: 60 },
      ],
      selectPolicy: 'Max' as const,
    };
    const run = (selectPolicy: 'Max' | 'Min') =>
      decide(
        input({
          currentReplicas: 10,
          policy: policy({ behavior: { ...base.behavior, scaleDown: { ...scaleDown, selectPolicy } } }),
          history: [sample(60, 10, 10)],
        }),
      );
    expect(run('Max').desiredReplicas).toBe(5);
    expect(run('Max').limitedBy).toBe('rate');
    expect(run('Min').desiredReplicas).toBe(9);
  });
});

describe('decide: min/max clamping', () => {
  it.each([
    { name: 'above max', inflight: 500, current: 10, want: 12, limitedBy: 'max' },
    { name: 'below min', inflight: 1, current: 3, want: 3, limitedBy: 'min' },
    { name: 'inside', inflight: 50, current: 4, want: 5, limitedBy: undefined },
    {
      name: 'current above max is corrected at once',
      inflight: 150,
      current: 20,
      want: 12,
      limitedBy: 'max',
    },
  ])('$name', ({ inflight, current, want, limitedBy }) => {
    const base = policy({ minReplicas: 3, maxReplicas: 12 });
    const pol = {
      ...base,
      behavior: {
        ...base.behavior,
        scaleDown: { ...base.behavior.scaleDown, stabilizationWindowSeconds: 0 },
      },
    };
    const d = decide(
      input({ policy: pol, currentReplicas: current, history: [sample(60, inflight, current)] }),
    );
    expect(d.desiredReplicas).toBe(want);
    expect(d.limitedBy).toBe(limitedBy);
  });
});
