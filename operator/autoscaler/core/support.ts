// Shared setup of the decide*.test.ts files: a defaulted policy (the CRD's defaults, read through the same
// resolveScalingPolicy the operator uses), observations and a DecisionInput builder, on a fixed clock.
import { defaultedCbd } from '../../api/fixtures.js';
import { resolveScalingPolicy, resolveSloPolicy } from '../policy.js';
import { initialState } from './decide.js';
import type { DecisionInput, MetricObservation, ScalingPolicy } from './types.js';

export const T0 = Date.parse('2026-11-30T12:00:00Z');
export const s = (sec: number): number => T0 + sec * 1000;

/** A configured targetInflightPerPod of 10 keeps the arithmetic readable (nothing is learnt online). */
export function policy(overrides: Partial<ScalingPolicy> = {}): ScalingPolicy {
  return {
    ...resolveScalingPolicy(defaultedCbd()),
    minReplicas: 1,
    maxReplicas: 50,
    targetInflightPerPod: 10,
    learnCapacity: false,
    ...overrides,
  };
}

export function sample(
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
export const failure = (sec: number): MetricObservation => ({
  kind: 'failure',
  time: s(sec),
  error: 'ECONNREFUSED',
});
export const noData = (sec: number): MetricObservation => ({
  kind: 'noData',
  time: s(sec),
  reason: 'empty result',
});

export function input(partial: Partial<DecisionInput> & { history: MetricObservation[] }): DecisionInput {
  const currentReplicas = partial.currentReplicas ?? 4;
  const now = partial.now ?? s(60);
  return {
    policy: policy(),
    slo: resolveSloPolicy(defaultedCbd()),
    currentReplicas,
    readyReplicas: partial.readyReplicas ?? currentReplicas,
    state: { ...initialState(currentReplicas, now), recommendations: [] },
    now,
    ...partial,
  };
}
