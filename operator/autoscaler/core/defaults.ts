import type { ScalingPolicy, ScalingRules, SloPolicy } from './types.js';

/** HPA v2 default scale-up: no window, the larger of +100 % or +4 pods per 15 s. */
export const DEFAULT_SCALE_UP: ScalingRules = {
  stabilizationWindowSeconds: 0,
  policies: [
    { type: 'Percent', value: 100, periodSeconds: 15 },
    { type: 'Pods', value: 4, periodSeconds: 15 },
  ],
  selectPolicy: 'Max',
};

/** HPA v2 default scale-down: the highest recommendation of the last 300 s, at most -100 % per 15 s. */
export const DEFAULT_SCALE_DOWN: ScalingRules = {
  stabilizationWindowSeconds: 300,
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
  selectPolicy: 'Max',
};

export const DEFAULT_MAX_INFLIGHT = 64;
/** targetInflightPerPod defaults to this share of maxInflight (Knative's 70 % utilisation target). */
export const DEFAULT_TARGET_UTILISATION = 0.7;

export function defaultScalingPolicy(maxInflight: number = DEFAULT_MAX_INFLIGHT): ScalingPolicy {
  return {
    minReplicas: 2,
    maxReplicas: 10,
    paused: false,
    intervalSeconds: 15,
    targetInflightPerPod: DEFAULT_TARGET_UTILISATION * maxInflight,
    maxInflightPerPod: maxInflight,
    tolerance: 0.1,
    metricsWindowSeconds: 60,
    panic: { threshold: 2.0, windowSeconds: 10 },
    behavior: { scaleUp: DEFAULT_SCALE_UP, scaleDown: DEFAULT_SCALE_DOWN },
    fallback: { failureThreshold: 3, behavior: 'currentReplicasIfHigher' },
    schedules: [],
    predictive: { leadSeconds: 300 },
  };
}

export function defaultSloPolicy(): SloPolicy {
  return { latency: { percentile: 95, targetMs: 300 } };
}
