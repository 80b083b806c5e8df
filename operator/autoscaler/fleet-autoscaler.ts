import type { ChatbotDeployment } from '../api/generated/chatbotdeployment.js';
import { errorMessage } from '../kube/errors.js';
import { decide, initialState } from './core/decide.js';
import type {
  AutoscalerState,
  Decision,
  MetricObservation,
  Mode,
  ScalingPolicy,
  SloPolicy,
} from './core/types.js';
import {
  recordFleetMetrics,
  removeFleetMetrics,
  type AutoscalerMetrics,
  type FleetMetricValues,
} from './metrics.js';
import { resolveScalingPolicy, resolveSloPolicy } from './policy.js';
import { PrometheusSource } from './sources/prometheus-source.js';
import { ScrapeSource } from './sources/scrape-source.js';
import type { MetricSource } from './sources/types.js';

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

export interface EvaluateInput {
  /** The ChatbotDeployment with the CRD's defaults applied (as the reconciler hands it to components). */
  cbd: ChatbotDeployment;
  /** spec.replicas of the fleet's Deployment now. */
  currentReplicas: number;
  readyReplicas: number;
  /** Base URLs of the ready pods (`http://<podIP>:8080`), for the scrape source. */
  podEndpoints: string[];
  now: number;
  /** Cancels the metric reads (the operator's term, ComponentContext.signal). */
  signal?: AbortSignal | undefined;
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

export interface FleetAutoscalerOptions {
  /** Source for `metrics.source: scrape` (default). */
  scrape?: MetricSource;
  /** Operator-wide Prometheus URL, used when a CR selects `prometheus` without its own url. */
  prometheusUrl?: string | undefined;
  /** Per-fleet metrics; optional so tests and the simulation can omit them. */
  metrics?: AutoscalerMetrics | undefined;
}

interface FleetMemory {
  history: MetricObservation[];
  state: AutoscalerState;
}

/**
 * The entry point the controller calls once per fleet per interval. It owns the per-fleet memory (metric
 * history and core state) in process, keyed by namespace/name; nothing is persisted. After an operator
 * restart `initialState` rebuilds from the Deployment's replicas, which never causes a scale-down.
 */
export class FleetAutoscaler {
  private readonly memory = new Map<string, FleetMemory>();
  private readonly scrape: MetricSource;
  private readonly prometheus = new Map<string, MetricSource>();

  constructor(private readonly options: FleetAutoscalerOptions = {}) {
    this.scrape = options.scrape ?? new ScrapeSource({ metrics: options.metrics?.scrape });
  }

  async evaluate(input: EvaluateInput): Promise<EvaluateResult> {
    const namespace = input.cbd.metadata.namespace ?? '';
    const name = input.cbd.metadata.name ?? '';
    const key = `${namespace}/${name}`;
    const policy = resolveScalingPolicy(input.cbd);
    const slo = resolveSloPolicy(input.cbd);
    const memory = this.memory.get(key) ?? {
      history: [],
      state: initialState(input.currentReplicas, input.now),
    };
    const source = this.sourceFor(input.cbd);
    const observation = await source
      .fetch(
        { namespace, name, podEndpoints: input.podEndpoints, signal: input.signal },
        { now: input.now, seconds: policy.metricsWindowSeconds, percentile: slo.latency.percentile },
      )
      .catch((err: unknown): MetricObservation => ({
        kind: 'failure',
        time: input.now,
        error: errorMessage(err),
      }));
    const history = pruneHistory([...memory.history, observation], policy, input.now);
    const decision = decide({ ...input, policy, slo, history, state: memory.state });
    this.memory.set(key, { history, state: decision.nextState });
    const result = buildResult(decision, { input, policy, slo, observation });
    if (this.options.metrics !== undefined)
      recordFleetMetrics(this.options.metrics, { namespace, name }, result.metrics);
    return result;
  }

  /** Drop everything kept for a fleet (call when the ChatbotDeployment is deleted). */
  forget(key: string): void {
    this.memory.delete(key);
    this.scrape.forget(key);
    for (const source of this.prometheus.values()) source.forget(key);
    const [namespace = '', name = ''] = key.split('/');
    if (this.options.metrics !== undefined) removeFleetMetrics(this.options.metrics, { namespace, name });
  }

  /** Read-only view of a fleet's memory, for debugging and tests. */
  inspect(key: string): Readonly<FleetMemory> | undefined {
    return this.memory.get(key);
  }

  private sourceFor(cbd: ChatbotDeployment): MetricSource {
    const metrics = cbd.spec.scaling.metrics;
    if (metrics.source !== 'prometheus') return this.scrape;
    const url = metrics.prometheus?.url ?? this.options.prometheusUrl;
    if (url === undefined) return MISSING_PROMETHEUS_URL;
    const query = metrics.prometheus?.query;
    const cacheKey = `${url}\n${query ?? ''}`;
    let source = this.prometheus.get(cacheKey);
    if (source === undefined) {
      source = new PrometheusSource({ url, latencyQuery: query });
      this.prometheus.set(cacheKey, source);
    }
    return source;
  }
}

/** A misconfiguration is a failed fetch: after failureThreshold evaluations the fallback applies. */
const MISSING_PROMETHEUS_URL: MetricSource = {
  fetch: (_fleet, window) =>
    Promise.resolve({
      kind: 'failure',
      time: window.now,
      error:
        'metrics.source is prometheus but no url is set (spec.scaling.metrics.prometheus.url or operator-wide)',
    }),
  forget: () => undefined,
};

/** Enough history for the metrics window and for counting failures toward the fallback threshold. */
function pruneHistory(history: MetricObservation[], policy: ScalingPolicy, now: number): MetricObservation[] {
  const keepSeconds =
    Math.max(policy.metricsWindowSeconds, policy.panic.windowSeconds) + policy.intervalSeconds;
  const recent = history.filter((o) => o.time > now - keepSeconds * 1000);
  const minEntries = policy.fallback.failureThreshold + 1;
  return recent.length >= minEntries ? recent : history.slice(-minEntries);
}

interface ResultContext {
  input: EvaluateInput;
  policy: ScalingPolicy;
  slo: SloPolicy;
  observation: MetricObservation;
}

function buildResult(decision: Decision, ctx: ResultContext): EvaluateResult {
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
  const event = scaleEvent(decision, ctx.input.currentReplicas, ctx.slo);
  return {
    desiredReplicas: decision.desiredReplicas,
    statusAutoscaling,
    conditions: scalingConditions(decision, ctx),
    ...(event === undefined ? {} : { event }),
    metrics: {
      desiredReplicas: decision.desiredReplicas,
      observedLatencySeconds: readings.latencyMs === null ? null : readings.latencyMs / 1000,
      inflightPerPod: readings.inflightPerPod,
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
