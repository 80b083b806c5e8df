import type { FleetSeries, Series } from '../shared/model.js';

/**
 * Time series from Prometheus (query_range), with the queries of the chart's Grafana dashboard
 * (charts/chatfleet/dashboards/fleet-overview.json). Names reach PromQL only after isDnsLabel
 * validation, so no quoting tricks are possible. Every call has a bounded wait and a bounded body.
 */
const MAX_BODY_BYTES = 4 << 20;
const MAX_SERIES = 16;

export function fleetQueries(
  namespace: string,
  name: string,
): Record<'latency' | 'target' | 'desired' | 'ready' | 'turns', string> {
  const sel = `namespace="${namespace}",name="${name}"`;
  const pods = `namespace="${namespace}",pod=~"${name}-(canary-)?[a-z0-9]+-[a-z0-9]+"`;
  return {
    latency: `chatfleet_autoscaler_observed_latency_seconds{${sel}} * 1000`,
    target: `max(chatfleet_fleet_slo_target_seconds{${sel}}) * 1000`,
    desired: `chatfleet_autoscaler_desired_replicas{${sel}}`,
    ready: `sum(up{${pods}})`,
    turns: `sum by (source) (rate(chatfleet_turn_duration_seconds_count{${pods}}[5m]))`,
  };
}

interface RangeResult {
  metric?: Record<string, string>;
  values?: [number, string][];
}

/** Prometheus matrix to series; a label picks the series name (else `fallback`). */
export function matrixToSeries(body: unknown, fallback: string, labelKey?: string): Series[] {
  const data = (body as { data?: { result?: unknown } } | null)?.data;
  const result = Array.isArray(data?.result) ? (data.result as RangeResult[]).slice(0, MAX_SERIES) : [];
  return result.map((r) => ({
    label: (labelKey && r.metric?.[labelKey]) || fallback,
    points: (Array.isArray(r.values) ? r.values : []).map(([t, v]): [number, number | null] => {
      const n = Number(v);
      return [Number(t), Number.isFinite(n) ? n : null];
    }),
  }));
}

async function queryRange(
  base: string,
  query: string,
  startS: number,
  endS: number,
  stepS: number,
  timeoutMs: number,
): Promise<unknown> {
  const url = new URL('/api/v1/query_range', base);
  url.search = new URLSearchParams({
    query,
    start: String(startS),
    end: String(endS),
    step: String(stepS),
  }).toString();
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  if (text.length > MAX_BODY_BYTES) throw new Error('Prometheus answer too large');
  if (!res.ok) throw new Error(`Prometheus ${res.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as unknown;
}

export async function prometheusSeries(
  base: string,
  namespace: string,
  name: string,
  nowMs: number,
  windowS = 3600,
  timeoutMs = 8000,
): Promise<FleetSeries> {
  const end = Math.floor(nowMs / 1000);
  const start = end - windowS;
  const step = Math.max(15, Math.floor(windowS / 240));
  const q = fleetQueries(namespace, name);
  const [latency, target, desired, ready, turns] = await Promise.all(
    [q.latency, q.target, q.desired, q.ready, q.turns].map((query) =>
      queryRange(base, query, start, end, step, timeoutMs),
    ),
  );
  return {
    source: 'prometheus',
    latency: [...matrixToSeries(latency, 'observed'), ...matrixToSeries(target, 'target')],
    replicas: [...matrixToSeries(desired, 'desired'), ...matrixToSeries(ready, 'ready')],
    turns: matrixToSeries(turns, 'turns', 'source'),
  };
}
