import { describe, expect, it } from '@jest/globals';
import { decide, initialState } from './decide.js';
import type { AutoscalerState, MetricObservation } from './types.js';
import { s, policy, sample, input } from './support.js';

describe('decide: panic mode', () => {
  const spike = (sec: number): MetricObservation => sample(sec, 90, 4); // 90/(4*10) = 2.25x
  it('enters when short-window demand >= threshold x ready capacity', () => {
    const d = decide(input({ history: [sample(30, 40, 4), spike(60)] })); // stable mean 65 -> 7, panic 9
    expect(d.mode).toBe('panic');
    expect(d.signal).toBe('panic');
    expect(d.desiredReplicas).toBe(9);
    expect(d.limitedBy).toBeUndefined();
    expect(d.nextState.panicSince).toBe(s(60));
  });

  it.each([
    { name: 'panic scale-up skips the rate policy (stable would allow 6)', up: 'Max' as const, want: 10 },
    { name: 'a Disabled scale-up policy still holds in panic', up: 'Disabled' as const, want: 2 },
  ])('$name', ({ up, want }) => {
    const base = policy();
    const pol = policy({
      behavior: { ...base.behavior, scaleUp: { ...base.behavior.scaleUp, selectPolicy: up } },
    });
    const d = decide(input({ policy: pol, currentReplicas: 2, history: [sample(60, 100, 2)] })); // 5x
    expect(d.mode).toBe('panic');
    expect(d.desiredReplicas).toBe(want);
  });

  it.each([
    { name: 'saturated pods (in-flight at maxInflight): demand is censored, x2', max: 64, want: 48 },
    { name: 'below 90 % of maxInflight: demand as measured', max: 80, want: 24 },
    { name: 'maxInflight unknown: never treated as saturated', max: undefined, want: 24 },
  ])('$name', ({ max, want }) => {
    const pol = policy({ maxInflightPerPod: max });
    const d = decide(input({ policy: pol, history: [sample(60, 240, 4, 5000)] })); // 60/pod
    expect(d.mode).toBe('panic');
    expect(d.readings.panicDesired).toBe(want);
    expect(d.desiredReplicas).toBe(want);
  });

  it('stays out of panic just below the threshold', () => {
    const d = decide(input({ history: [sample(60, 79, 4)] }));
    expect(d.mode).toBe('stable');
  });

  it('never scales down while in panic, even with a zero scale-down window', () => {
    const pol = policy({
      behavior: {
        ...policy().behavior,
        scaleDown: { ...policy().behavior.scaleDown, stabilizationWindowSeconds: 0 },
      },
    });
    const state: AutoscalerState = {
      ...initialState(9, s(0)),
      panicSince: s(50),
      lastPanicTrigger: s(50),
      panicHighWater: 9,
    };
    const d = decide(
      input({ policy: pol, currentReplicas: 9, state, history: [sample(75, 10, 9, 100)], now: s(75) }),
    );
    expect(d.mode).toBe('panic');
    expect(d.desiredReplicas).toBe(9);
  });

  it.each([
    { name: 'still panicking 59 s after the last trigger', now: 109, mode: 'panic' },
    { name: 'exits after a full stable window below threshold', now: 110, mode: 'stable' },
  ])('$name', ({ now, mode }) => {
    const state: AutoscalerState = {
      ...initialState(9, s(0)),
      panicSince: s(30),
      lastPanicTrigger: s(50),
      panicHighWater: 9,
    };
    const d = decide(input({ currentReplicas: 9, state, history: [sample(now, 10, 9)], now: s(now) }));
    expect(d.mode).toBe(mode);
  });
});

/** Evaluates every 15 s from 15 s to 150 s, feeding back the desired count; `observe` gives each sample. */
function run(observe: (sec: number, current: number) => MetricObservation): {
  state: AutoscalerState;
  current: number;
  desired: number[];
} {
  let state = initialState(4, s(0));
  let current = 4;
  const history: MetricObservation[] = [];
  const desired: number[] = [];
  for (let sec = 15; sec <= 150; sec += 15) {
    history.push(observe(sec, current));
    const d = decide(
      input({ currentReplicas: current, readyReplicas: current, state, history: [...history], now: s(sec) }),
    );
    desired.push(d.desiredReplicas);
    state = d.nextState;
    current = d.desiredReplicas;
  }
  return { state, current, desired };
}

describe('decide: panic keeps the scale-down window', () => {
  it('recommendations made in panic stay in the history, so leaving panic does not scale down at once', () => {
    // burst, then calm
    const { state, current } = run((sec, pods) => sample(sec, sec <= 45 ? 200 : 20, pods));
    expect(state.panicSince).toBeNull();
    expect(state.recommendations.length).toBeGreaterThanOrEqual(10);
    expect(current).toBe(20);
  });
  it('a saturated burst: the doubled panic count is held by the window after panic ends', () => {
    // 240 in flight on 4 pods = 60/pod, at the default maxInflight 64: saturated. Then calm.
    const { state, desired } = run((sec, pods) => sample(sec, sec <= 15 ? 240 : 20, sec <= 15 ? 4 : pods));
    expect(desired[0]).toBe(48); // ceil(240 / 10) x 2, in one step
    expect(state.panicSince).toBeNull();
    expect(desired.every((n) => n === 48)).toBe(true); // the 300 s window keeps it after panic
  });
});
