import { describe, expect, it } from '@jest/globals';
import { decide, initialState } from './decide.js';
import type { MetricObservation, ScheduleSpec } from './types.js';
import { s, policy, sample, failure, noData, input } from './support.js';

describe('decide: schedules and the predictive floor', () => {
  const schedule = {
    name: 'morning',
    cron: '0 9 * * *',
    timeZone: 'UTC',
    durationSeconds: 3600,
    minReplicas: 12,
  };
  /** The scale-up rate allows any step, so the floor shows at once. */
  const scheduled = (schedules: ScheduleSpec[], now: number): ReturnType<typeof decide> => {
    const scaleUp = {
      ...policy().behavior.scaleUp,
      policies: [{ type: 'Pods' as const, value: 100, periodSeconds: 15 }],
    };
    const pol = policy({ schedules, behavior: { ...policy().behavior, scaleUp } });
    const history: MetricObservation[] = [
      { kind: 'sample', time: now, latencyMs: 100, turns: 10, inflight: 40, podsReporting: 4 },
    ];
    return decide(input({ policy: pol, now, history }));
  };
  const berlin = { ...schedule, timeZone: 'Europe/Berlin' }; // 09:00 Berlin = 08:00 UTC in winter

  it.each([
    { name: 'long before the lead: no floor', sched: schedule, at: '2026-11-30T08:50:00Z', want: 4 },
    {
      name: 'inside the 300 s lead before the cron fires',
      sched: schedule,
      at: '2026-11-30T08:56:00Z',
      want: 12,
    },
    { name: 'during the duration', sched: schedule, at: '2026-11-30T09:59:00Z', want: 12 },
    { name: 'after the duration', sched: schedule, at: '2026-11-30T10:01:00Z', want: 4 },
    { name: 'honours the schedule time zone', sched: berlin, at: '2026-11-30T08:30:00Z', want: 12 },
  ])('$name', ({ sched, at, want }) => {
    const d = scheduled([sched], Date.parse(at));
    expect(d.desiredReplicas).toBe(want);
    if (want === 12) expect(d.signal).toBe('schedule');
  });

  it('an invalid cron sets no floor and does not break the decision', () => {
    const bad = { ...schedule, cron: 'not a cron' };
    const d = decide(input({ policy: policy({ schedules: [bad] }), history: [sample(60, 40, 4)] }));
    expect(d.desiredReplicas).toBe(4);
    expect(d.readings.scheduleFloor).toBe(0);
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
    // With a sample, the recommendation also keeps the window's turns (for the traffic-drop rule).
    { name: 'no data', history: [sample(30, 40, 4), failure(60)], turns: {} },
    { name: 'fallback', history: [failure(30), failure(45), failure(60)], turns: {} },
    { name: 'signals', history: [sample(60, 40, 4)], turns: { turns: 100 } },
  ])('$name keeps earlier recommendations and adds this one', ({ history, turns }) => {
    const state = { ...initialState(4, s(0)), recommendations: [{ time: s(10), replicas: 9 }] };
    const d = decide(input({ state, history }));
    expect(d.nextState.recommendations).toEqual([
      { time: s(10), replicas: 9 },
      { time: s(60), replicas: d.rawRecommendation, ...turns },
    ]);
    expect(d.desiredReplicas).toBe(4); // the 9 from 50 s ago holds the count (scale-down window)
  });
});

describe('decide: paused', () => {
  it('paused holds the count whatever the signals say', () => {
    const d = decide(input({ policy: policy({ paused: true }), history: [sample(60, 400, 4, 5000)] }));
    expect(d.desiredReplicas).toBe(4);
    expect(d.reason).toBe('scaling paused');
  });
});
