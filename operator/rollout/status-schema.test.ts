import { describe, expect, it } from '@jest/globals';
import { chatbotDeploymentCrd } from '../api/index.js';
import type { RolloutState } from './core/types.js';

/**
 * status.rollout must hold every field of the core's RolloutState: the API server prunes unknown fields,
 * so a missing one would be lost on every write (no resume from status) and status would never compare
 * equal to what we write (a write on every reconcile). `Required<RolloutState>` makes the compiler list
 * every field here.
 */
const everyField: Required<RolloutState> = {
  phase: 'Progressing',
  reason: 'Analyzing',
  message: 'm',
  stableVersion: 'v1',
  stable: { id: 'a', version: 'v1', model: { name: 'm', version: 'v1' }, image: 'i' },
  canaryVersion: 'v2',
  canary: { id: 'b', version: 'v2', model: { name: 'm', version: 'v2', bundleConfigMap: 'b' }, image: 'i' },
  currentStepIndex: 1,
  canaryWeight: 10,
  observedCanaryShare: 9.5,
  failedChecks: 0,
  startedAt: '2026-12-01T10:00:00Z',
  stepStartedAt: '2026-12-01T10:00:00Z',
  inconclusiveSince: '2026-12-01T10:00:00Z',
  stalledSince: '2026-12-01T10:00:00Z',
  analysisWindowStart: '2026-12-01T10:00:00Z',
  lastAnalysisAt: '2026-12-01T10:00:00Z',
  lastAnalysis: [
    {
      metric: 'errorRate',
      canary: 0.1,
      stable: 0.01,
      canaryTurns: 60,
      stableTurns: 600,
      verdict: 'Fail',
      reason: 'r',
    },
  ],
  lastHandledAction: 'abort@x',
  routingGeneration: 3,
  weightSample: {
    weight: 10,
    since: '2026-12-01T10:00:00Z',
    windows: 2,
    canary: { turns: 60, errors: 1, fallbacks: 2, latencyBounds: [0.1, 1], latencyCounts: [10, 50, 60] },
    stable: { turns: 600, errors: 5, fallbacks: 20, latencyBounds: [0.1, 1], latencyCounts: [100, 500, 600] },
  },
};

interface Schema {
  properties?: Record<string, Schema>;
  items?: Schema;
}

function missing(value: unknown, schema: Schema, path: string): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => missing(v, schema.items ?? {}, `${path}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => {
    const child = schema.properties?.[k];
    return child ? missing(v, child, `${path}.${k}`) : [`${path}.${k}`];
  });
}

describe('status.rollout in the CRD', () => {
  it('declares every field the rollout core persists', () => {
    const status = (chatbotDeploymentCrd.spec.versions[0]!.schema.openAPIV3Schema as Schema).properties!
      .status!;
    expect(missing(everyField, status.properties!.rollout!, 'status.rollout')).toEqual([]);
  });
});
