import { describe, expect, it } from '@jest/globals';
import { defaultedCbd } from '../api/fixtures.js';
import type { ChatbotDeployment, ScalingSpecInput } from '../api/index.js';
import { resolveScalingPolicy, resolveSloPolicy } from './policy.js';

function cbd(scaling: ScalingSpecInput = {}, maxInflight = 20): ChatbotDeployment {
  return defaultedCbd({
    runtime: { image: 'bot', maxInflight },
    scaling: { minReplicas: 2, maxReplicas: 10, ...scaling },
  });
}

describe('resolveScalingPolicy', () => {
  it('applies the contract defaults, targetInflightPerPod = 0.7 x maxInflight', () => {
    const p = resolveScalingPolicy(defaultedCbd());
    expect(p).toMatchObject({
      minReplicas: 2,
      maxReplicas: 10,
      intervalSeconds: 15,
      tolerance: 0.1,
      metricsWindowSeconds: 60,
    });
    expect(p.targetInflightPerPod).toBeCloseTo(44.8);
    expect(p.behavior.scaleDown.stabilizationWindowSeconds).toBe(300);
    expect(p.fallback).toEqual({ failureThreshold: 3, behavior: 'currentReplicasIfHigher' });
    expect(resolveScalingPolicy(cbd()).targetInflightPerPod).toBe(14);
  });

  it('honours the pause annotation', () => {
    const fleet = cbd();
    fleet.metadata.annotations = { 'chatfleet.io/autoscaling-paused': 'true' };
    expect(resolveScalingPolicy(fleet).paused).toBe(true);
    expect(resolveScalingPolicy(cbd()).paused).toBe(false);
    expect(resolveScalingPolicy(cbd({ paused: true })).paused).toBe(true);
  });

  it.each([
    { maxInflight: 64, want: 64 },
    { maxInflight: 20, want: 20 },
  ])('the saturation level is runtime.maxInflight ($maxInflight)', ({ maxInflight, want }) => {
    expect(resolveScalingPolicy(cbd({}, maxInflight)).maxInflightPerPod).toBe(want);
  });

  it.each([
    { direction: 'scaleUp' as const, defaultCount: 2 },
    { direction: 'scaleDown' as const, defaultCount: 1 },
  ])('an empty $direction policy list keeps the default policies', ({ direction, defaultCount }) => {
    const empty = resolveScalingPolicy(cbd({ behavior: { [direction]: { policies: [] } } }));
    expect(empty.behavior[direction].policies).toEqual(
      resolveScalingPolicy(cbd()).behavior[direction].policies,
    );
    expect(empty.behavior[direction].policies).toHaveLength(defaultCount);
    const own = [{ type: 'Pods' as const, value: 1, periodSeconds: 60 }];
    const given = resolveScalingPolicy(cbd({ behavior: { [direction]: { policies: own } } }));
    expect(given.behavior[direction].policies).toEqual(own);
  });

  it('passes schedules through, none when unset', () => {
    const schedule = { name: 'am', cron: '0 9 * * *', durationSeconds: 3600, minReplicas: 4 };
    expect(resolveScalingPolicy(cbd()).schedules).toEqual([]);
    expect(resolveScalingPolicy(cbd({ schedules: [schedule] })).schedules).toEqual([
      { ...schedule, timeZone: 'UTC' },
    ]);
  });
});

describe('resolveSloPolicy', () => {
  it('is spec.slo as defaulted', () => {
    expect(resolveSloPolicy(defaultedCbd())).toEqual({ latency: { percentile: 95, targetMs: 300 } });
    const strict = defaultedCbd({ slo: { latency: { targetMs: 120 } } });
    expect(resolveSloPolicy(strict)).toEqual({ latency: { percentile: 95, targetMs: 120 } });
  });
});
