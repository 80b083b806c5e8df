import { describe, expect, it } from '@jest/globals';
import { decide, initialState } from './decide.js';
import { defaultScalingPolicy, defaultSloPolicy } from './defaults.js';
import type { AutoscalerState, DecisionInput, MetricObservation, ScalingPolicy } from './types.js';

const T0 = Date.parse('2026-11-30T12:00:00Z');
const s = (sec: number): number => T0 + sec * 1000;

/** targetInflightPerPod 10 keeps the arithmetic readable. */
function policy(overrides: Partial<ScalingPolicy> = {}): ScalingPolicy {
  return {
    ...defaultScalingPolicy(),
    minReplicas: 1,
    maxReplicas: 50,
    targetInflightPerPod: 10,
    ...overrides,
  };
}

function sample(
  sec: number,
  inflight: number,
  pods: number,
  latencyMs: number | null = 100,
): MetricObservation {
  return {
    kind: 'sample',
    time: s(sec),
    latencyMs,
    turns: latencyMs === null ? 0 : 100,
    inflight,
    podsReporting: pods,
  };
}
const failure = (sec: number): MetricObservation => ({
  kind: 'failure',
  time: s(sec),
  error: 'ECONNREFUSED',
});
const noData = (sec: number): MetricObservation => ({ kind: 'noData', time: s(sec), reason: 'empty result' });

function input(partial: Partial<DecisionInput> & { history: MetricObservation[] }): DecisionInput {
  const currentReplicas = partial.currentReplicas ?? 4;
  const now = partial.now ?? s(60);
  return {
    policy: policy(),
    slo: defaultSloPolicy(),
    currentReplicas,
    readyReplicas: partial.readyReplicas ?? currentReplicas,
    state: { ...initialState(currentReplicas, now), recommendations: [] },
    now,
    ...partial,
  };
}

describe('decide: in-flight ratio and tolerance band', () => {
  it.each([
    { name: 'exactly on target holds', inflight: 40, want: 4 },
    { name: '+10% is inside the band', inflight: 44, want: 4 },
    { name: '-10% is inside the band', inflight: 36, want: 4 },
    { name: '+12.5% leaves the band', inflight: 45, want: 5 },
    { name: '1.75x load scales 1.75x', inflight: 70, want: 7 },
  ])('$name', ({ inflight, want }) => {
    const d = decide(input({ history: [sample(45, inflight, 4), sample(60, inflight, 4)] }));
    expect(d.desiredReplicas).toBe(want);
    expect(d.mode).toBe('stable');
  });

  it('averages in-flight over the metrics window only', () => {
    const history = [sample(-30, 400, 4), sample(15, 60, 4), sample(30, 60, 4), sample(60, 60, 4)];
    expect(decide(input({ history })).desiredReplicas).toBe(6);
  });
});

describe('decide: latency signal', () => {
  it.each([
    { name: 'below target: no vote, in-flight scales down (after window)', latency: 200, want: 2 },
    { name: 'within tolerance above target vetoes scale-down', latency: 320, want: 4 },
    { name: 'clearly above: ready x sqrt(ratio)', latency: 600, want: 6 }, // ceil(4*1.414)
    { name: 'far above: capped at x2 per evaluation', latency: 3000, want: 8 },
  ])('$name', ({ latency, want }) => {
    const d = decide(
      input({
        history: [sample(60, 20, 4, latency)],
        policy: policy({
          behavior: {
            ...policy().behavior,
            scaleDown: { ...policy().behavior.scaleDown, stabilizationWindowSeconds: 0 },
          },
        }),
      }),
    );
    expect(d.desiredReplicas).toBe(want);
  });

  it('names latency as the driving signal when it wins', () => {
    const d = decide(input({ history: [sample(60, 30, 4, 900)] }));
    expect(d.signal).toBe('latency');
    expect(d.reason).toContain('p95 latency 900ms');
  });

  it('multiplies READY pods, so pods still starting are not stacked on', () => {
    const d = decide(input({ currentReplicas: 8, readyReplicas: 4, history: [sample(60, 40, 4, 600)] }));
    expect(d.desiredReplicas).toBe(8);
  });
});

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

describe('decide: panic keeps the scale-down window', () => {
  it('recommendations made in panic stay in the history, so leaving panic does not scale down at once', () => {
    let state = initialState(4, s(0));
    let current = 4;
    const history: MetricObservation[] = [];
    for (let sec = 15; sec <= 150; sec += 15) {
      history.push(sample(sec, sec <= 45 ? 200 : 20, current)); // burst, then calm
      const d = decide(
        input({
          currentReplicas: current,
          readyReplicas: current,
          state,
          history: [...history],
          now: s(sec),
        }),
      );
      state = d.nextState;
      current = d.desiredReplicas;
    }
    expect(state.panicSince).toBeNull();
    expect(state.recommendations.length).toBeGreaterThanOrEqual(10);
    expect(current).toBe(20);
  });
  it('a saturated burst: the doubled panic count is held by the window after panic ends', () => {
    let state = initialState(4, s(0));
    let current = 4;
    const history: MetricObservation[] = [];
    const desired: number[] = [];
    for (let sec = 15; sec <= 150; sec += 15) {
      // 240 in flight on 4 pods = 60/pod, at the default maxInflight 64: saturated. Then calm.
      history.push(sample(sec, sec <= 15 ? 240 : 20, sec <= 15 ? 4 : current));
      const d = decide(
        input({
          currentReplicas: current,
          readyReplicas: current,
          state,
          history: [...history],
          now: s(sec),
        }),
      );
      desired.push(d.desiredReplicas);
      state = d.nextState;
      current = d.desiredReplicas;
    }
    expect(desired[0]).toBe(48); // ceil(240 / 10) x 2, in one step
    expect(state.panicSince).toBeNull();
    expect(desired.every((n) => n === 48)).toBe(true); // the 300 s window keeps it after panic
  });
});

describe('decide: demand estimate', () => {
  it('prefers time-averaged concurrency over the noisy gauge', () => {
    const noisy: MetricObservation = { ...sample(60, 90, 4), concurrency: 40 } as MetricObservation;
    const d = decide(
      input({ history: [{ ...sample(45, 10, 4), concurrency: 40 } as MetricObservation, noisy] }),
    );
    expect(d.readings.inflightDesired).toBe(4);
  });

  it('a rising load is extrapolated to now (the mean lags half a window)', () => {
    const history = [sample(15, 20, 4), sample(30, 30, 4), sample(45, 40, 4), sample(60, 50, 4)];
    expect(decide(input({ history })).readings.inflightDesired).toBe(5); // line at now = 50, mean = 35
  });

  it('a falling load keeps the mean (never below it)', () => {
    const history = [sample(15, 50, 4), sample(30, 40, 4), sample(45, 30, 4), sample(60, 20, 4)];
    expect(decide(input({ history })).readings.inflightDesired).toBe(4); // mean 35/pod-target 10 = 3.5 -> 4; the line at now (20) is ignored
  });
});

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

describe('decide: schedules and the predictive floor', () => {
  const schedule = {
    name: 'morning',
    cron: '0 9 * * *',
    timeZone: 'UTC',
    durationSeconds: 3600,
    minReplicas: 12,
  };
  it.each([
    { name: 'long before the lead: no floor', at: '2026-11-30T08:50:00Z', want: 4 },
    { name: 'inside the 300 s lead before the cron fires', at: '2026-11-30T08:56:00Z', want: 12 },
    { name: 'during the duration', at: '2026-11-30T09:59:00Z', want: 12 },
    { name: 'after the duration', at: '2026-11-30T10:01:00Z', want: 4 },
  ])('$name', ({ at, want }) => {
    const now = Date.parse(at);
    const pol = policy({
      schedules: [schedule],
      behavior: {
        ...policy().behavior,
        scaleUp: {
          ...policy().behavior.scaleUp,
          policies: [{ type: 'Pods', value: 100, periodSeconds: 15 }],
        },
      },
    });
    const d = decide(
      input({
        policy: pol,
        now,
        history: [{ kind: 'sample', time: now, latencyMs: 100, turns: 10, inflight: 40, podsReporting: 4 }],
      }),
    );
    expect(d.desiredReplicas).toBe(want);
    if (want === 12) expect(d.signal).toBe('schedule');
  });

  it('an invalid cron sets no floor and does not break the decision', () => {
    const bad = { ...schedule, cron: 'not a cron' };
    const d = decide(input({ policy: policy({ schedules: [bad] }), history: [sample(60, 40, 4)] }));
    expect(d.desiredReplicas).toBe(4);
    expect(d.readings.scheduleFloor).toBe(0);
  });

  it('honours the schedule time zone', () => {
    const tz = { ...schedule, timeZone: 'Europe/Berlin' }; // 09:00 Berlin = 08:00 UTC in winter
    const now = Date.parse('2026-11-30T08:30:00Z');
    const pol = policy({
      schedules: [tz],
      behavior: {
        ...policy().behavior,
        scaleUp: {
          ...policy().behavior.scaleUp,
          policies: [{ type: 'Pods', value: 100, periodSeconds: 15 }],
        },
      },
    });
    const d = decide(
      input({
        policy: pol,
        now,
        history: [{ kind: 'sample', time: now, latencyMs: 100, turns: 10, inflight: 40, podsReporting: 4 }],
      }),
    );
    expect(d.desiredReplicas).toBe(12);
  });
});

describe('decide: missing metrics and fallback', () => {
  it.each([
    {
      name: 'one failure holds (not zero)',
      history: [sample(30, 80, 4), failure(60)],
      want: 4,
      mode: 'stable',
    },
    {
      name: 'no-data holds (empty result is not zero)',
      history: [sample(30, 80, 4), noData(60)],
      want: 4,
      mode: 'stable',
    },
    { name: 'no history at all holds', history: [], want: 4, mode: 'stable' },
    {
      name: 'two failures still hold',
      history: [failure(30), failure(45), failure(60)].slice(1),
      want: 4,
      mode: 'stable',
    },
    {
      name: 'three failures: fallback',
      history: [failure(30), failure(45), noData(60)],
      want: 4,
      mode: 'fallback',
    },
    {
      name: 'a sample resets the count',
      history: [failure(15), failure(30), sample(45, 40, 4), failure(60)],
      want: 4,
      mode: 'stable',
    },
  ])('$name', ({ history, want, mode }) => {
    const d = decide(input({ history }));
    expect(d.desiredReplicas).toBe(want);
    expect(d.mode).toBe(mode);
  });

  it('latency null with zero turns is no data: in-flight still decides', () => {
    const d = decide(input({ history: [sample(60, 80, 4, null)] }));
    expect(d.readings.latencyMs).toBeNull();
    expect(d.desiredReplicas).toBe(8);
  });

  it('zero in-flight is a real zero: it may scale down after the window', () => {
    const now = s(400);
    const d = decide(
      input({
        now,
        currentReplicas: 4,
        state: { ...initialState(4, now), recommendations: [] },
        history: [sample(400, 0, 4)],
      }),
    );
    expect(d.desiredReplicas).toBe(1);
  });

  it.each([
    { behavior: 'currentReplicasIfHigher' as const, replicas: 6, current: 4, want: 6 },
    { behavior: 'currentReplicasIfHigher' as const, replicas: 3, current: 4, want: 4 },
    { behavior: 'currentReplicasIfHigher' as const, replicas: undefined, current: 4, want: 4 },
    { behavior: 'currentReplicas' as const, replicas: 9, current: 4, want: 4 },
    { behavior: 'static' as const, replicas: 3, current: 4, want: 3 },
    { behavior: 'static' as const, replicas: 99, current: 4, want: 50 },
  ])(
    'fallback $behavior replicas=$replicas current=$current -> $want',
    ({ behavior, replicas, current, want }) => {
      const pol = policy({ fallback: { failureThreshold: 2, behavior, replicas } });
      const d = decide(input({ policy: pol, currentReplicas: current, history: [failure(45), failure(60)] }));
      expect(d.mode).toBe('fallback');
      expect(d.signal).toBe('fallback');
      expect(d.desiredReplicas).toBe(want);
    },
  );
});

describe('decide: state is carried through every path', () => {
  it.each([
    { name: 'no data', history: [sample(30, 40, 4), failure(60)] },
    { name: 'fallback', history: [failure(30), failure(45), failure(60)] },
    { name: 'signals', history: [sample(60, 40, 4)] },
  ])('$name keeps earlier recommendations and adds this one', ({ history }) => {
    const state = { ...initialState(4, s(0)), recommendations: [{ time: s(10), replicas: 9 }] };
    const d = decide(input({ state, history }));
    expect(d.nextState.recommendations).toEqual([
      { time: s(10), replicas: 9 },
      { time: s(60), replicas: d.rawRecommendation },
    ]);
    expect(d.desiredReplicas).toBe(4); // the 9 from 50 s ago holds the count (scale-down window)
  });
});

describe('decide: paused and kafka lag', () => {
  it('paused holds the count whatever the signals say', () => {
    const d = decide(input({ policy: policy({ paused: true }), history: [sample(60, 400, 4, 5000)] }));
    expect(d.desiredReplicas).toBe(4);
    expect(d.reason).toBe('scaling paused');
  });

  it('kafka lag per replica drives workers, capped at the partition count', () => {
    const lag = (l: number): MetricObservation => ({
      kind: 'sample',
      time: s(60),
      latencyMs: null,
      turns: 0,
      inflight: 0,
      podsReporting: 0,
      kafkaLag: l,
    });
    const pol = policy({ workerLag: { targetLagPerReplica: 100, partitions: 6 } });
    expect(decide(input({ policy: pol, history: [lag(500)] })).desiredReplicas).toBe(5);
    expect(decide(input({ policy: pol, history: [lag(5000)] })).desiredReplicas).toBe(6);
    expect(decide(input({ policy: pol, history: [lag(500)] })).signal).toBe('kafkaLag');
  });
});

describe('decide: learning the in-flight target from latency', () => {
  const target = (d: ReturnType<typeof decide>): number => d.readings.effectiveTargetInflightPerPod;

  it('slow at target load on a settled fleet: the target tightens', () => {
    const d = decide(input({ history: [sample(30, 40, 4, 900), sample(60, 40, 4, 900)] }));
    expect(target(d)).toBe(5); // 10/pod at 3x the SLO: Little says 3.3, bounded to halving
    expect(d.nextState.inflightTargetScale).toBe(0.5);
  });

  it('pods added during the latency window: the percentile is stale, the target holds', () => {
    const d = decide(input({ history: [sample(30, 20, 2, 900), sample(60, 40, 4, 900)] }));
    expect(target(d)).toBe(10);
  });

  it.each([
    // Scaled 8 -> 4 at 45 s. Before: 40 in flight (5/pod). Now queues inflate it to 30/pod.
    { name: 'SLO broken after our scale-down: learn from the load the scale-down left', down: 45, want: 5 },
    { name: 'same readings without a recent scale-down: overload explains it, hold', down: null, want: 10 },
    { name: 'a scale-down older than the metrics window does not count', down: -30, want: 10 },
  ])('$name', ({ down, want }) => {
    const events = down === null ? [] : [{ time: s(down), delta: -4 }];
    const state = { ...initialState(4, s(60)), recommendations: [], scaleEvents: events };
    const history = [sample(30, 40, 8, 200), sample(60, 120, 4, 900)];
    const d = decide(input({ history, state }));
    expect(target(d)).toBe(want);
  });
});

describe('defaults: the saturation level comes from runtime.maxInflight', () => {
  it.each([
    { maxInflight: 64, want: 64 },
    { maxInflight: 20, want: 20 },
  ])('maxInflight $maxInflight', ({ maxInflight, want }) => {
    expect(defaultScalingPolicy(maxInflight).maxInflightPerPod).toBe(want);
  });
});
