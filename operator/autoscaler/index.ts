/** What the controller needs from the autoscaler. */
export {
  FleetAutoscaler,
  nextEvaluationSeconds,
  type EvaluateInput,
  type EvaluateResult,
  type FleetAutoscalerOptions,
  type ScalingCondition,
  type ScalingConditionType,
  type ScalingEvent,
  type StatusAutoscaling,
} from './fleet-autoscaler.js';
export { registerAutoscalerMetrics, type AutoscalerMetrics } from './metrics.js';
export { PAUSED_ANNOTATION, resolveScalingPolicy, resolveSloPolicy, type AutoscaledFleet } from './policy.js';
export { decide, initialState } from './core/decide.js';
export type {
  Decision,
  DecisionInput,
  MetricObservation,
  Mode,
  ScalingPolicy,
  SloPolicy,
} from './core/types.js';
export { PrometheusSource } from './sources/prometheus-source.js';
export { ScrapeSource } from './sources/scrape-source.js';
export type { FleetTarget, MetricSource, MetricWindow } from './sources/types.js';
