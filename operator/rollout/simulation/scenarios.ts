/**
 * Scenarios of `npm run sim:rollout` (issue 12): an equal model (A/A), three bad models (each fault
 * alone) and a low-traffic fleet, all against the same stable model and traffic shape.
 */
import { specWithDefaults } from '../../api/index.js';
import type { RolloutInputSpec } from '../core/types.js';
import type { TrafficModel, VersionModel } from './traffic.js';

export interface Scenario {
  name: string;
  /** The new version is bad: an abort is a catch, a promotion a miss. */
  bad: boolean;
  traffic: TrafficModel;
  canary: VersionModel;
}

/** Healthy stable model: 0.5 % errors, 5 % fallbacks, 30 % cache hits, p95 about 180 ms. */
export const STABLE: VersionModel = {
  errorRate: 0.005,
  fallbackRate: 0.05,
  cacheRate: 0.3,
  medianMs: 80,
  sigma: 0.5,
};
/** The new version starts with a cold cache (10 % hits instead of 30 %). */
const COLD = { ...STABLE, cacheRate: 0.1 };

/** About 80 turns/s: at weight 10 the canary serves about 240 turns per 30 s window. */
export const BUSY: TrafficModel = { conversationsPerSecond: 20, meanTurns: 4, meanGapSeconds: 10 };
/** About 2 turns/s: the canary never reaches minTurns (50) in a window at weight 10-50. */
export const QUIET: TrafficModel = { conversationsPerSecond: 0.5, meanTurns: 4, meanGapSeconds: 10 };

export const SCENARIOS: Scenario[] = [
  { name: 'A/A (equal model)', bad: false, traffic: BUSY, canary: COLD },
  {
    name: 'errors +5 points',
    bad: true,
    traffic: BUSY,
    canary: { ...COLD, errorRate: STABLE.errorRate + 0.05 },
  },
  { name: 'latency x2', bad: true, traffic: BUSY, canary: { ...COLD, medianMs: STABLE.medianMs * 2 } },
  {
    name: 'fallback +30 points',
    bad: true,
    traffic: BUSY,
    canary: { ...COLD, fallbackRate: STABLE.fallbackRate + 0.3 },
  },
  { name: 'low traffic (equal model)', bad: false, traffic: QUIET, canary: COLD },
];

/** The spec with every CRD default filled in, from the CRD schema itself (one source of defaults). */
const DEFAULTS = specWithDefaults({ runtime: { image: 'sim' }, model: { name: 'sim', version: 'v1' } });

/** spec.rollout.analysis.failureThreshold's CRD default (a threshold k aborts k checks late). */
export const CRD_FAILURE_THRESHOLD = DEFAULTS.rollout.analysis.failureThreshold;

/** The CRD defaults of spec.rollout and spec.slo, with `failureThreshold` as given. */
export function simSpec(failureThreshold = CRD_FAILURE_THRESHOLD): RolloutInputSpec {
  const { rollout, slo } = DEFAULTS;
  return { rollout: { ...rollout, analysis: { ...rollout.analysis, failureThreshold } }, slo };
}
