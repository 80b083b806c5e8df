import type { MetricObservation } from '../core/types.js';
import { MIB, requestBounded, ScrapeError } from './bounded-fetch.js';
import { TURN_DURATION, TURNS_INFLIGHT } from './histogram.js';
import { errorMessage } from '../../kube/errors.js';
import type { FleetTarget, MetricSource, MetricWindow } from './types.js';

export interface PrometheusSourceOptions {
  /** Base URL of the Prometheus HTTP API, e.g. http://prometheus.monitoring:9090 */
  url: string;
  /**
   * Optional PromQL for the latency percentile in SECONDS (spec.scaling.metrics.prometheus.query).
   * Placeholders: {{namespace}} {{name}} {{selector}} {{window}} {{quantile}}.
   */
  latencyQuery?: string | undefined;
  timeoutMs?: number;
  /** Largest answer read (the URL may be the tenant's). Default 1 MiB. */
  maxBytes?: number;
}

/** Prometheus error text shown in status is cut to this. */
const MAX_ERROR = 200;

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

/** The label each part of the combined query carries its name in (combinedQuery). */
export const PART_LABEL = 'chatfleet_part';

type Part = keyof FleetQueries;
const PARTS: Part[] = ['inflight', 'pods', 'latency', 'turns', 'concurrency'];

/**
 * The built-in queries as one request: each part tagged with its name by label_replace and joined with
 * `or` (their label sets differ by the tag, so `or` keeps every part; an empty part adds nothing). One
 * request instead of five per fleet and interval, for the operator and for the Prometheus it reads. A
 * custom latency query stays a request of its own: it may answer a scalar, which a tag cannot join.
 */
export function combinedQuery(q: FleetQueries, parts: Part[]): string {
  return parts.map((part) => `label_replace(${q[part]}, "${PART_LABEL}", "${part}", "", "")`).join(' or ');
}

/** A sample's value; null for NaN or anything not a finite number (no data, never zero). */
function valueOf(sample: VectorSample | undefined): number | null {
  // The answer may come from a tenant's URL: anything not shaped like a sample is no value.
  const value: unknown = Array.isArray(sample?.value) ? sample.value[1] : undefined;
  if (value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** First value of an instant vector; null for an empty result or NaN. */
function firstValue(response: PromResponse): number | null {
  return valueOf(response.data?.result[0]);
}

/** The value of each tagged part of a combined answer (the first series of a part, as firstValue). */
function partValues(response: PromResponse): Partial<Record<Part, number | null>> {
  const values: Partial<Record<Part, number | null>> = {};
  for (const sample of response.data?.result ?? []) {
    const part = (sample as Partial<VectorSample> | null)?.metric?.[PART_LABEL] as Part | undefined;
    if (part !== undefined && PARTS.includes(part) && !(part in values)) values[part] = valueOf(sample);
  }
  return values;
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
      const { inflight, pods, latency, turns, concurrency } = await this.read(q, time, fleet.signal);
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

  /** Every part of one evaluation: the combined query, and a custom latency query beside it. */
  private async read(
    q: FleetQueries,
    time: number,
    signal?: AbortSignal,
  ): Promise<Record<Part, number | null>> {
    const custom = this.options.latencyQuery !== undefined;
    const parts = custom ? PARTS.filter((p) => p !== 'latency') : PARTS;
    const [combined, customLatency] = await Promise.all([
      this.query(combinedQuery(q, parts), time, signal).then(partValues),
      custom ? this.query(q.latency, time, signal).then(firstValue) : null,
    ]);
    const value = (part: Part): number | null => combined[part] ?? null;
    return {
      inflight: value('inflight'),
      pods: value('pods'),
      latency: custom ? customLatency : value('latency'),
      turns: value('turns'),
      concurrency: value('concurrency'),
    };
  }

  private async query(query: string, time: number, signal?: AbortSignal): Promise<PromResponse> {
    const url = new URL(
      'api/v1/query',
      this.options.url.endsWith('/') ? this.options.url : `${this.options.url}/`,
    );
    const body = new URLSearchParams({ query, time: String(time / 1000) });
    const limits = { timeoutMs: this.timeoutMs, maxBytes: this.options.maxBytes ?? MIB, signal };
    let answer: { status: number; text: string };
    try {
      // 4xx/5xx bodies are read too: Prometheus explains a bad query there.
      answer = await requestBounded(url.toString(), limits, {
        method: 'POST',
        body,
        accept: 'application/json',
        acceptStatus: (status) => status >= 200 && status < 600,
      });
    } catch (err) {
      const unreachable = err instanceof ScrapeError && err.reason === 'unreachable' ? ' unreachable' : '';
      throw new Error(`Prometheus ${url.host}${unreachable}: ${errorMessage(err)}`, { cause: err });
    }
    const parsed = parseAnswer(answer.text);
    if (parsed.status !== 'success') {
      throw new Error(`Prometheus query failed (HTTP ${answer.status}): ${parsed.error ?? 'unknown error'}`);
    }
    return parsed;
  }
}

/** The API's JSON, checked for the shape read here; an error with its message cut to MAX_ERROR. */
function parseAnswer(text: string): PromResponse {
  let parsed: PromResponse | undefined;
  try {
    parsed = JSON.parse(text) as PromResponse;
  } catch {
    return { status: 'error', error: 'answer is not JSON' };
  }
  if (parsed?.status === 'success' && Array.isArray(parsed.data?.result)) return parsed;
  const error = typeof parsed?.error === 'string' ? parsed.error.slice(0, MAX_ERROR) : undefined;
  return { status: 'error', ...(error !== undefined ? { error } : {}) };
}
