import { describe, expect, it } from '@jest/globals';
import {
  demandAtAim,
  emptyCapacity,
  learnCapacity,
  littleBound,
  MIN_LEARNT_INFLIGHT,
  type CapacityEstimate,
  type CapacityObservation,
} from './capacity.js';

// SLO p95 300 ms: the aim is 0.85 x 300 = 255 ms. The clock is injected (ctx.now); nothing reads time.
const T0 = Date.parse('2026-12-02T00:00:00Z');
const ctx = { revision: 'r1', targetMs: 300, min: MIN_LEARNT_INFLIGHT, max: 44.8, now: T0 };
const windowOf = (inflightPerPod: number, latencyMs: number, peak = inflightPerPod): CapacityObservation => ({
  inflightPerPod,
  peakInflightPerPod: peak,
  latencyMs,
});
/** An estimate with no curve, so only the Little update acts (capacity-curve.test.ts covers the knee). */
const learnt = (inflightPerPod: number): CapacityEstimate => ({
  ...emptyCapacity('r1'),
  inflightPerPod,
  windows: 3,
  updatedAt: T0 - 15_000,
});

describe('littleBound (in-flight at the aim latency, by Little law)', () => {
  it.each([
    { name: 'fast window: judged at its average', o: windowOf(6, 170, 9), want: 9 },
    { name: 'slow window: judged at its peak', o: windowOf(6, 510, 10), want: 5 },
    { name: 'exactly at the aim: the in-flight itself', o: windowOf(7, 255, 8), want: 7 },
  ])('$name', ({ o, want }) => {
    expect(littleBound(o, 255)).toBeCloseTo(want);
  });
});

describe('learnCapacity', () => {
  it.each<{ name: string; before: CapacityEstimate | undefined; o: CapacityObservation; want: number }>([
    { name: 'first window: the Little bound', before: undefined, o: windowOf(6, 204), want: 7.5 },
    { name: 'fast window raises by half the gap', before: learnt(6), o: windowOf(6, 170), want: 7.5 },
    { name: 'a raise is at most x1.5 per window', before: learnt(2), o: windowOf(6, 102), want: 3 },
    {
      // Little bound 7.01 < 0.85 x 9: the fleet ran well below the estimate, so it tested nothing.
      name: 'in the dead band but far below the estimate: no probe, hold',
      before: learnt(9),
      o: windowOf(6.6, 240),
      want: 9,
    },
    {
      // Little bound 6.6 x 255 / 240 = 7.01 >= 0.85 x 7: the fleet ran at the estimate within the aim.
      name: 'in the dead band at the estimate: the probe raises it x1.05',
      before: learnt(7),
      o: windowOf(6.6, 240),
      want: 7.35,
    },
    {
      // Little bound 6.2 x 255 / 250 = 6.32; x1.15 = 7.27 caps the x1.05 step from 7.
      name: 'a probe never goes past 1.15 x the measured bound',
      before: learnt(7),
      o: windowOf(6.2, 250),
      want: 7.27,
    },
    { name: 'fast at low load teaches nothing new: hold', before: learnt(8), o: windowOf(2, 190), want: 8 },
    { name: 'SLO broken: down to the bound at once', before: learnt(10), o: windowOf(8, 510, 10), want: 5 },
    { name: 'between aim and target: half way down', before: learnt(10), o: windowOf(8, 270, 9), want: 9.25 },
    {
      name: 'slow only because overloaded far past the estimate: hold',
      before: learnt(5),
      o: windowOf(20, 600, 30),
      want: 5,
    },
    { name: 'never below the minimum', before: undefined, o: windowOf(0.1, 5000), want: MIN_LEARNT_INFLIGHT },
    { name: 'never above the default target', before: undefined, o: windowOf(40, 100), want: 44.8 },
  ])('$name', ({ before, o, want }) => {
    const next = learnCapacity(before, o, ctx);
    expect(next.inflightPerPod).toBeCloseTo(want);
    expect(next.updatedAt).toBe(T0);
    expect(next.windows).toBe((before?.windows ?? 0) + 1);
  });

  it('nothing usable keeps the estimate as it was', () => {
    expect(learnCapacity(learnt(6), null, ctx)).toEqual(learnt(6));
    expect(learnCapacity(learnt(6), windowOf(0, 200), ctx)).toEqual(learnt(6));
    expect(learnCapacity(learnt(6), windowOf(5, Number.NaN), ctx)).toEqual(learnt(6));
  });

  it('another revision (image, model, SLO) starts from nothing', () => {
    expect(learnCapacity(learnt(6), null, { ...ctx, revision: 'r2' })).toEqual(emptyCapacity('r2'));
    const relearnt = learnCapacity(learnt(6), windowOf(3, 255), { ...ctx, revision: 'r2' });
    expect(relearnt).toMatchObject({ revision: 'r2', inflightPerPod: 3, windows: 1 });
  });

  it('the probe stays off where the curve already shows the knee', () => {
    // Two fast bins (5 at 200 ms, 6.6 at 240 ms): their secant reaches the aim at 7.2, which wins.
    const curve = learnCapacity(learnt(7), windowOf(5, 200), ctx).curve;
    const next = learnCapacity({ ...learnt(7), curve }, windowOf(6.6, 240), ctx);
    expect(next.inflightPerPod).toBeCloseTo(7.2);
  });

  it('a probe that overshoots the knee comes back down (AIMD on a fleet with a sharp knee)', () => {
    // Flat 200 ms up to 7 in flight per pod, then +60 ms per turn: the aim (255 ms) is at 7.92.
    const latencyAt = (x: number): number => (x <= 7 ? 200 : 200 + 60 * (x - 7));
    let estimate: CapacityEstimate | undefined = learnt(6);
    const seen: number[] = [];
    for (let i = 0; i < 60; i++) {
      const x = estimate?.inflightPerPod ?? 6; // the fleet is packed to the estimate
      estimate = learnCapacity(estimate, windowOf(x, latencyAt(x)), { ...ctx, now: T0 + i * 15_000 });
      seen.push(estimate.inflightPerPod ?? 0);
    }
    expect(Math.max(...seen)).toBeLessThan(8.6); // never far past the knee
    expect(estimate?.inflightPerPod).toBeGreaterThan(7.4);
    expect(estimate?.inflightPerPod).toBeLessThan(8.3);
  });

  it('settles where the percentile crosses the aim (fixed point on a Little-law fleet)', () => {
    // Latency 150 ms + 15 ms per turn in flight: the aim (255 ms) is reached at 7 in flight per pod.
    const latencyAt = (x: number): number => 150 + 15 * x;
    let estimate: CapacityEstimate | undefined;
    let x = 2;
    for (let i = 0; i < 40; i++) {
      estimate = learnCapacity(estimate, windowOf(x, latencyAt(x)), { ...ctx, now: T0 + i * 15_000 });
      x = estimate.inflightPerPod ?? x; // the fleet is packed to the estimate
    }
    expect(estimate?.inflightPerPod).toBeGreaterThan(6.3);
    expect(estimate?.inflightPerPod).toBeLessThanOrEqual(7.05);
  });
});

describe('demandAtAim', () => {
  it.each([
    {
      name: 'faster than the aim: the in-flight it will hold at the aim',
      inflight: 20,
      latencyMs: 170,
      want: 30,
    },
    { name: 'at the aim: unchanged', inflight: 20, latencyMs: 255, want: 20 },
    { name: 'slower than the aim: never below what it holds', inflight: 20, latencyMs: 900, want: 20 },
    { name: 'no latency data: unchanged', inflight: 20, latencyMs: null, want: 20 },
  ])('$name', ({ inflight, latencyMs, want }) => {
    expect(demandAtAim(inflight, latencyMs, 300)).toBeCloseTo(want);
  });
});
