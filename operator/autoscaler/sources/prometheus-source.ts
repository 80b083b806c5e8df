import type { MetricObservation } from '../core/types.js';
import { TURN_DURATION, TURNS_INFLIGHT } from './histogram.js';
import { errorMessage, type FleetTarget, type MetricSource, type MetricWindow } from './types.js';

export interface PrometheusSourceOptions {
  /** Base URL of the Prometheus HTTP API, e.g. http://prometheus.monitoring:9090 */
  url: string;
  /**
   * Optional PromQL for the latency percentile in SECONDS (spec.scaling.metrics.prometheus.query).
   * Placeholders: {{namespace}} {{name}} {{selector}} {{window}} {{quantile}}.
   */
  latencyQuery?: string | undefined;
  timeoutMs?: number;
}

interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

interface PromResponse {
  status: 'success' | 'error';
  data?: { resultType: string; result: VectorSample[] };
  error?: string;
  errorType?: string;
}

/** Pods of Deployment `name` are `name-<hash>-<suffix>`; the anchored regex avoids `name-other` fleets. */
export function defaultSelector(fleet: Pick<FleetTarget, 'namespace' | 'name'>): string {
  return `namespace="${fleet.namespace}",pod=~"${fleet.name}-[a-z0-9]+-[a-z0-9]+"`;
}

export const DEFAULT_LATENCY_QUERY = `histogram_quantile({{quantile}}, sum by (le) (rate(${TURN_DURATION}_bucket{{{selector}},outcome!="shed"}[{{window}}s])))`;

export interface FleetQueries {
  latency: string;
  turns: string;
  concurrency: string;
  inflight: string;
  pods: string;
}

export function buildQueries(fleet: FleetTarget, window: MetricWindow, latencyQuery?: string): FleetQueries {
  const selector = defaultSelector(fleet);
  const fill = (template: string): string =>
    template
      .replaceAll('{{namespace}}', fleet.namespace)
      .replaceAll('{{name}}', fleet.name)
      .replaceAll('{{selector}}', selector)
      .replaceAll('{{window}}', String(window.seconds))
      .replaceAll('{{quantile}}', String(window.percentile / 100));
  return {
    latency: fill(latencyQuery ?? DEFAULT_LATENCY_QUERY),
    turns: `sum(increase(${TURN_DURATION}_count{${selector},outcome!="shed"}[${window.seconds}s]))`,
    // Little's law: turn-seconds completed per second = time-averaged in-flight over the window.
    concurrency: `sum(rate(${TURN_DURATION}_sum{${selector},outcome!="shed"}[${window.seconds}s]))`,
    inflight: `sum(${TURNS_INFLIGHT}{${selector}})`,
    pods: `count(${TURNS_INFLIGHT}{${selector}})`,
  };
}

/** First value of an instant vector; null for an empty result or NaN (no data, never zero). */
function firstValue(response: PromResponse): number | null {
  const value = response.data?.result[0]?.value[1];
  if (value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/**
 * The Prometheus HTTP API source: instant queries (`/api/v1/query`) over the same bot metrics. An empty
 * vector is NoData (KEDA's trap of reading it as 0 is avoided); HTTP or PromQL errors are Failures.
 */
export class PrometheusSource implements MetricSource {
  private readonly timeoutMs: number;

  constructor(private readonly options: PrometheusSourceOptions) {
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  forget(_key: string): void {
    // Stateless: Prometheus keeps the history.
  }

  async fetch(fleet: FleetTarget, window: MetricWindow): Promise<MetricObservation> {
    const time = window.now;
    const q = buildQueries(fleet, window, this.options.latencyQuery);
    try {
      const run = async (query: string): Promise<number | null> => firstValue(await this.query(query, time));
      const [inflight, pods, latency, turns, concurrency] = await Promise.all([
        run(q.inflight),
        run(q.pods),
        run(q.latency),
        run(q.turns),
        run(q.concurrency),
      ]);
      if (inflight === null || pods === null) {
        return { kind: 'noData', time, reason: `empty result for ${q.inflight}` };
      }
      const turnCount = turns ?? 0;
      const latencyMs = latency === null || turnCount <= 0 ? null : latency * 1000;
      return {
        kind: 'sample',
        time,
        latencyMs,
        turns: turnCount,
        inflight,
        podsReporting: pods,
        concurrency,
      };
    } catch (err) {
      return { kind: 'failure', time, error: errorMessage(err) };
    }
  }

  private async query(query: string, time: number): Promise<PromResponse> {
    const url = new URL(
      'api/v1/query',
      this.options.url.endsWith('/') ? this.options.url : `${this.options.url}/`,
    );
    const body = new URLSearchParams({ query, time: String(time / 1000) });
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', body, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw new Error(`Prometheus ${url.host} unreachable`, { cause: err });
    }
    const parsed = (await res
      .json()
      .catch(() => ({ status: 'error', error: `HTTP ${res.status}` }))) as PromResponse;
    if (!res.ok || parsed.status !== 'success') {
      throw new Error(`Prometheus query failed (HTTP ${res.status}): ${parsed.error ?? 'unknown error'}`);
    }
    return parsed;
  }
}
