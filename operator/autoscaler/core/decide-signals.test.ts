import { describe, expect, it } from '@jest/globals';
import { decide, initialState } from './decide.js';
import type { MetricObservation } from './types.js';
import { s, policy, sample, input } from './support.js';

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

  // The window's percentile was made by the pods that served it: pods that became ready late in the
  // window barely show in it, so the step multiplies the window's mean of pods reporting (at most ready),
  // and a latency above target never votes below the current count.
  it.each([
    { name: 'the same 16 pods all window: 16 x 2', pods: [16, 16, 16, 16], want: 32 },
    { name: 'grew 4 -> 16 within it: mean 8 x 2 = 16, the count holds', pods: [4, 4, 8, 16], want: 16 },
    { name: 'grew 4 -> 12, late: mean 6 x 2 = 12, never below current 16', pods: [4, 4, 4, 12], want: 16 },
    { name: 'more reporting than ready (a pod left): ready caps it', pods: [20, 20, 20, 20], want: 32 },
  ])('latency step from the pods that served the window: $name', ({ pods, want }) => {
    // 2 in flight per pod: far below the target, so only the latency signal asks for more.
    const history = pods.map((n, i) => sample(15 * (i + 1), 2 * n, n, 1200));
    const d = decide(input({ currentReplicas: 16, readyReplicas: 16, history }));
    expect(d.readings.latencyDesired).toBe(want);
    expect(d.desiredReplicas).toBe(want);
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
