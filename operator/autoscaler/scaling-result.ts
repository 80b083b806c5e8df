// What one evaluation publishes: status.autoscaling, the four scaling conditions, the scale Event and the
// metric values, built from the core's Decision. Pure; FleetAutoscaler (fleet-autoscaler.ts) calls it.
import type { Decision, MetricObservation, Mode, ScalingPolicy, SloPolicy } from './core/types.js';
import type { FleetMetricValues } from './metrics.js';

/** status.autoscaling of a ChatbotDeployment (the CRD's schema; docs/api.md). */
export interface StatusAutoscaling {
  desiredReplicas: number;
  observedLatencyMs: number | null;
  inflightPerPod: number | null;
  mode: Mode;
  /** RFC 3339; absent until this operator scaled the fleet. */
  lastScaleTime?: string;
  reason: string;
}

export type ScalingConditionType = 'ScalingActive' | 'ScalingLimited' | 'SLOMet' | 'FallbackActive';

export interface ScalingCondition {
  type: ScalingConditionType;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

export interface ScalingEvent {
  type: 'Normal' | 'Warning';
  reason: 'ScaledUp' | 'ScaledDown';
  message: string;
}

export interface EvaluateResult {
  /** Write this to the Deployment's spec.replicas (server-side apply; the operator owns the field). */
  desiredReplicas: number;
  statusAutoscaling: StatusAutoscaling;
  conditions: ScalingCondition[];
  /** One Event per scale, naming the signal. */
  event?: ScalingEvent;
  metrics: FleetMetricValues;
  decision: Decision;
  /**
   * Evaluate again after this many seconds: spec.scaling.intervalSeconds, shortened to half the panic window
   * while in panic or when short-window demand is half-way to the panic threshold (see fastCadence).
   */
  requeueAfterSeconds: number;
}

export interface ResultContext {
  /** spec.replicas of the fleet's Deployment when the evaluation started. */
  currentReplicas: number;
  policy: ScalingPolicy;
  slo: SloPolicy;
  observation: MetricObservation;
}

export function buildResult(decision: Decision, ctx: ResultContext): EvaluateResult {
  const { readings } = decision;
  const lastScaleTime = decision.nextState.lastScaleTime;
  const statusAutoscaling: StatusAutoscaling = {
    desiredReplicas: decision.desiredReplicas,
    observedLatencyMs: readings.latencyMs === null ? null : Math.round(readings.latencyMs),
    inflightPerPod: readings.inflightPerPod === null ? null : Math.round(readings.inflightPerPod * 100) / 100,
    mode: decision.mode,
    ...(lastScaleTime === null ? {} : { lastScaleTime: new Date(lastScaleTime).toISOString() }),
    reason: `${decision.reason} (signal: ${decision.signal})`,
  };
  const event = scaleEvent(decision, ctx.currentReplicas, ctx.slo);
  return {
    desiredReplicas: decision.desiredReplicas,
    statusAutoscaling,
    conditions: scalingConditions(decision, ctx),
    ...(event === undefined ? {} : { event }),
    metrics: {
      desiredReplicas: decision.desiredReplicas,
      observedLatencySeconds: readings.latencyMs === null ? null : readings.latencyMs / 1000,
      inflightPerPod: readings.inflightPerPod,
      learntInflightPerPod: readings.learntInflightPerPod,
      mode: decision.mode,
      fetchProblem: ctx.observation.kind === 'sample' ? null : ctx.observation.kind,
    },
    decision,
    requeueAfterSeconds: nextEvaluationSeconds(decision, ctx.policy),
  };
}

/**
 * A burst should not wait for the next 15 s tick: under pressure the fleet is evaluated every half panic
 * window (5 s by default). Rate policies are per period and windows per time, so evaluating more often does
 * not make scaling more aggressive, only earlier.
 */
export function nextEvaluationSeconds(decision: Decision, policy: ScalingPolicy): number {
  const interval = policy.intervalSeconds;
  const ratio = decision.readings.panicDemandRatio ?? 0;
  const pressure = decision.mode === 'panic' || ratio >= (1 + policy.panic.threshold) / 2;
  return pressure ? Math.min(interval, Math.max(1, Math.floor(policy.panic.windowSeconds / 2))) : interval;
}

function scaleEvent(decision: Decision, current: number, slo: SloPolicy): ScalingEvent | undefined {
  const desired = decision.desiredReplicas;
  if (desired === current) return undefined;
  const limited = decision.limitedBy === undefined ? '' : `, limited by ${decision.limitedBy}`;
  const latency = decision.readings.latencyMs;
  const p = `p${slo.latency.percentile}`;
  const latencyText =
    latency === null ? `${p} n/a` : `${p} ${Math.round(latency)}ms/${slo.latency.targetMs}ms`;
  return {
    type: decision.mode === 'fallback' ? 'Warning' : 'Normal',
    reason: desired > current ? 'ScaledUp' : 'ScaledDown',
    message:
      `Scaled from ${current} to ${desired} replicas; signal ${decision.signal}: ${decision.reason} ` +
      `(mode ${decision.mode}, ${latencyText}${limited})`,
  };
}

export function scalingConditions(decision: Decision, ctx: ResultContext): ScalingCondition[] {
  return [
    activeCondition(decision, ctx),
    limitedCondition(decision, ctx.policy),
    sloCondition(decision, ctx.slo),
    fallbackCondition(decision),
  ];
}

function activeCondition(decision: Decision, ctx: ResultContext): ScalingCondition {
  const type = 'ScalingActive';
  if (ctx.policy.paused)
    return {
      type,
      status: 'False',
      reason: 'ScalingPaused',
      message: 'spec.scaling.paused holds the replica count',
    };
  const o = ctx.observation;
  if (o.kind === 'failure') return { type, status: 'False', reason: 'FailedGetMetrics', message: o.error };
  if (o.kind === 'noData') return { type, status: 'False', reason: 'NoMetrics', message: o.reason };
  return {
    type,
    status: 'True',
    reason: 'ValidMetricSignal',
    message: `driven by ${decision.signal}: ${decision.reason}`,
  };
}

function limitedCondition(decision: Decision, policy: ScalingPolicy): ScalingCondition {
  const wanted = decision.rawRecommendation;
  const limited = (reason: string, message: string): ScalingCondition => ({
    type: 'ScalingLimited',
    status: 'True',
    reason,
    message: `wanted ${wanted}, ${message}`,
  });
  switch (decision.limitedBy) {
    case 'max':
      return limited('TooManyReplicas', `capped at maxReplicas ${policy.maxReplicas}`);
    case 'min':
      return limited('TooFewReplicas', `raised to minReplicas ${policy.minReplicas}`);
    case 'rate':
      return limited('ScaleRateLimited', `rate policy allows ${decision.desiredReplicas} now`);
    default:
      return {
        type: 'ScalingLimited',
        status: 'False',
        reason: 'DesiredWithinRange',
        message: `desired ${decision.desiredReplicas} within ${policy.minReplicas}..${policy.maxReplicas}`,
      };
  }
}

function sloCondition(decision: Decision, slo: SloPolicy): ScalingCondition {
  const type = 'SLOMet';
  const latency = decision.readings.latencyMs;
  const p = `p${slo.latency.percentile}`;
  if (latency === null)
    return {
      type,
      status: 'Unknown',
      reason: 'NoLatencyData',
      message: `no turns in the window to measure ${p}`,
    };
  const text = `${p} latency ${Math.round(latency)}ms, target ${slo.latency.targetMs}ms`;
  return latency <= slo.latency.targetMs
    ? { type, status: 'True', reason: 'LatencyWithinTarget', message: text }
    : { type, status: 'False', reason: 'LatencyAboveTarget', message: text };
}

function fallbackCondition(decision: Decision): ScalingCondition {
  const type = 'FallbackActive';
  return decision.mode === 'fallback'
    ? { type, status: 'True', reason: 'MetricsUnavailable', message: decision.reason }
    : { type, status: 'False', reason: 'MetricsAvailable', message: 'scaling on live metrics' };
}
