/** Shared setup of the decide*.test.ts tables: a policy, observations and a fixed clock. */
import type { LagObservation, WorkerScalingPolicy } from './types.js';

/** 2026-12-02T00:00:00Z: the tests' "now" (ms). */
export const T0 = Date.parse('2026-12-02T00:00:00Z');

export const s = (seconds: number): number => T0 + seconds * 1000;

export function policy(overrides: Partial<WorkerScalingPolicy> = {}): WorkerScalingPolicy {
  return {
    minReplicas: 0,
    maxReplicas: 10,
    targetLagPerReplica: 100,
    activationLag: 0,
    cooldownSeconds: 300,
    stabilizationSeconds: 60,
    ...overrides,
  };
}

export function lag(value: number, partitions = 8, observedAt = T0): LagObservation {
  return { kind: 'lag', lag: value, partitions, observedAt };
}

export function unavailable(reason = 'KafkaUnreachable', observedAt = T0): LagObservation {
  return { kind: 'unavailable', reason, message: `test: ${reason}`, observedAt };
}
