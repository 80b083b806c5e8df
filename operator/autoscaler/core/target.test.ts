import { describe, expect, it } from '@jest/globals';
import { adaptTargetScale, MIN_TARGET_SCALE } from './target.js';

const base = { scale: 1, targetMs: 300, configuredTarget: 10, tolerance: 0.1, settled: true };

describe('adaptTargetScale (latency corrects the in-flight target)', () => {
  it.each([
    {
      // Little's law: the same throughput at 300 ms needs 10 / 1.21 in flight (smaller than 10 / 1.1).
      name: 'slow at target load: tighten to in-flight / ratio',
      latencyMs: 363,
      inflightPerPod: 10,
      want: 1 / 1.21,
    },
    {
      // 1/sqrt(4/3) = 0.866 is the milder step; 6 / (4/3) = 4.5 is below it -> in-flight / ratio wins.
      name: 'slow below target load: the Little estimate from the observed in-flight',
      latencyMs: 400,
      inflightPerPod: 6,
      want: 0.5,
    },
    {
      name: 'slow just below target load: min(effective / sqrt(ratio), in-flight / ratio)',
      latencyMs: 400,
      inflightPerPod: 8,
      want: 0.6,
    },
    { name: 'tightening is at most -50 % per evaluation', latencyMs: 3000, inflightPerPod: 10, want: 0.5 },
    {
      name: 'slow because overloaded (in-flight above target): hold',
      latencyMs: 900,
      inflightPerPod: 25,
      want: 1,
    },
    { name: 'within tolerance: hold', latencyMs: 320, inflightPerPod: 10, want: 1 },
    { name: 'fast near target: relax, never above 1', latencyMs: 100, inflightPerPod: 10, want: 1 },
    {
      name: 'fast at low load: says nothing about the target',
      latencyMs: 100,
      inflightPerPod: 2,
      scale: 0.5,
      want: 0.5,
    },
    {
      name: 'fast near the learnt target: relax +5 %',
      latencyMs: 100,
      inflightPerPod: 5,
      scale: 0.5,
      want: 0.525,
    },
    { name: 'no latency data: hold', latencyMs: null, inflightPerPod: 10, scale: 0.7, want: 0.7 },
    {
      name: 'not settled (panic, or pods added during the latency window): hold',
      latencyMs: 900,
      inflightPerPod: 10,
      settled: false,
      want: 1,
    },
  ])('$name', ({ want, ...overrides }) => {
    expect(adaptTargetScale({ ...base, ...overrides })).toBeCloseTo(want, 9);
  });

  it('never goes below the floor', () => {
    expect(adaptTargetScale({ ...base, scale: MIN_TARGET_SCALE, latencyMs: 3000, inflightPerPod: 1 })).toBe(
      MIN_TARGET_SCALE,
    );
  });
});
