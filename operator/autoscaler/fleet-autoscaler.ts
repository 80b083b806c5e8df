import type { ChatbotDeployment } from '../api/generated/chatbotdeployment.js';
import { fleetKey } from '../controller/fleet-key.js';
import { errorMessage } from '../kube/errors.js';
import { decide, initialState } from './core/decide.js';
import type { AutoscalerState, MetricObservation, ScalingPolicy } from './core/types.js';
import { buildResult, type EvaluateResult } from './scaling-result.js';
import { recordFleetMetrics, removeFleetMetrics, type AutoscalerMetrics } from './metrics.js';
import { recordFleetSlo } from './slo-metrics.js';
import { resolveScalingPolicy, resolveSloPolicy } from './policy.js';
import { PrometheusSource } from './sources/prometheus-source.js';
import { ScrapeSource } from './sources/scrape-source.js';
import type { MetricSource } from './sources/types.js';

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
  /**
   * Set when there is nothing to read yet (the fleet's Deployment does not exist, so no pod does): the
   * evaluation records "no data" with this reason and reads no metrics.
   */
  nothingToRead?: string | undefined;
}

export type ObserveInput = Pick<EvaluateInput, 'cbd' | 'podEndpoints' | 'now' | 'signal' | 'nothingToRead'>;

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

  /** Whether the fleet's metric source reads its pods' endpoints (scrape) rather than a Prometheus. */
  readsPodEndpoints(cbd: ChatbotDeployment): boolean {
    return this.sourceFor(cbd) === this.scrape;
  }

  /**
   * The metric read of one evaluation; never rejects (a failed read is a `failure` observation). Public
   * so a caller can start it before it knows the ready pods, when the source does not need them
   * (readsPodEndpoints), and hand it to evaluate().
   */
  async observe(input: ObserveInput): Promise<MetricObservation> {
    if (input.nothingToRead !== undefined) {
      return { kind: 'noData', time: input.now, reason: input.nothingToRead };
    }
    const seconds = resolveScalingPolicy(input.cbd).metricsWindowSeconds;
    const { percentile } = resolveSloPolicy(input.cbd).latency;
    const namespace = input.cbd.metadata.namespace ?? '';
    const name = input.cbd.metadata.name ?? '';
    return this.sourceFor(input.cbd)
      .fetch(
        { namespace, name, podEndpoints: input.podEndpoints, signal: input.signal },
        { now: input.now, seconds, percentile },
      )
      .catch((err: unknown): MetricObservation => ({
        kind: 'failure',
        time: input.now,
        error: errorMessage(err),
      }));
  }

  /** One evaluation; `observed` is a read already started with observe(), else evaluate reads. */
  async evaluate(input: EvaluateInput, observed?: Promise<MetricObservation>): Promise<EvaluateResult> {
    const namespace = input.cbd.metadata.namespace ?? '';
    const name = input.cbd.metadata.name ?? '';
    const key = fleetKey(input.cbd);
    const policy = resolveScalingPolicy(input.cbd);
    const slo = resolveSloPolicy(input.cbd);
    const memory = this.memory.get(key) ?? {
      history: [],
      state: initialState(input.currentReplicas, input.now),
    };
    const observation = await (observed ?? this.observe(input));
    const history = pruneHistory([...memory.history, observation], policy, input.now);
    const decision = decide({ ...input, policy, slo, history, state: memory.state });
    this.memory.set(key, { history, state: decision.nextState });
    const result = buildResult(decision, {
      currentReplicas: input.currentReplicas,
      policy,
      slo,
      observation,
    });
    if (this.options.metrics !== undefined) {
      recordFleetMetrics(this.options.metrics, { namespace, name }, result.metrics);
      const { targetMs, percentile } = slo.latency;
      recordFleetSlo(
        this.options.metrics.slo,
        { namespace, name },
        { targetMs, percentile, maxReplicas: policy.maxReplicas },
      );
    }
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
