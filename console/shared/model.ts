/**
 * What the console server sends the browser, and the pure rules both sides share: how a fleet is
 * summarised, how the latency margin is judged (colour AND a word/icon, never colour alone), name
 * validation, and number formatting. No DOM, no Node APIs: the unit tests and the bundle both import it.
 */

export type MarginLevel = 'ok' | 'tight' | 'breach' | 'unknown';

export interface Margin {
  level: MarginLevel;
  /** Short word shown next to the colour, so colour is never the only signal. */
  label: string;
  icon: string;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface FleetSummary {
  namespace: string;
  name: string;
  modelVersion: string;
  ready: string;
  sloPercentile: number | null;
  sloTargetMs: number | null;
  observedLatencyMs: number | null;
  desiredReplicas: number | null;
  readyReplicas: number | null;
  mode: string | null;
  rolloutPhase: string | null;
  canaryWeight: number | null;
  resourceVersion: string;
}

export interface AnalysisRow {
  metric: string;
  canary: number | null;
  stable: number | null;
  verdict: string;
  reason?: string;
}

export interface ShardRow {
  index: number;
  primary: string;
  replicas: number | null;
  slots: string;
  ready: boolean;
  message?: string;
}

export interface TopicRow {
  name: string;
  partitions: number | null;
  ready: boolean;
  message?: string;
}

export interface FleetDetail extends FleetSummary {
  conditions: Condition[];
  autoscalingReason: string | null;
  lastScaleTime: string | null;
  rollout: {
    stableVersion: string | null;
    canaryVersion: string | null;
    currentStepIndex: number | null;
    totalSteps: number | null;
    reason: string | null;
    message: string | null;
    lastAnalysisAt: string | null;
    analysis: AnalysisRow[];
  };
  shards: ShardRow[];
  topics: TopicRow[];
}

export interface FleetEvent {
  uid: string;
  namespace: string;
  fleet: string;
  type: string;
  reason: string;
  note: string;
  time: string;
  count: number;
}

/** One series of a chart: time in unix seconds, values (null = no sample at that time). */
export interface Series {
  label: string;
  points: [number, number | null][];
}

export interface FleetSeries {
  source: 'prometheus' | 'status';
  latency: Series[];
  replicas: Series[];
  turns: Series[];
  /** Without Prometheus: where the turns came from (the pods, through the API server), or why there are none. */
  turnsNote?: string;
}

export type StreamMessage =
  | { kind: 'fleet'; fleet: FleetSummary }
  | { kind: 'deleted'; namespace: string; name: string }
  | { kind: 'event'; event: FleetEvent };

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A namespace or ChatbotDeployment name as Kubernetes allows it (RFC 1123 label). */
export function isDnsLabel(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 63 && DNS_LABEL.test(value);
}

/** Headroom under which a fleet still meets its target but is close to breaching it. */
export const TIGHT_MARGIN = 0.2;

/** Observed latency against the target: ok (≥20% headroom), tight (under), breach (over), unknown (no data). */
export function marginOf(observedMs: number | null, targetMs: number | null): Margin {
  if (observedMs === null || targetMs === null || !Number.isFinite(observedMs) || !(targetMs > 0)) {
    return { level: 'unknown', label: 'no data', icon: '?' };
  }
  if (observedMs > targetMs) return { level: 'breach', label: 'over target', icon: '✖' };
  if (observedMs > targetMs * (1 - TIGHT_MARGIN)) return { level: 'tight', label: 'near target', icon: '▲' };
  return { level: 'ok', label: 'within target', icon: '✔' };
}

/** Milliseconds for people: "no data" when unknown, never 0 in its place. */
export function formatMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return 'no data';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  return `${Number(ms.toPrecision(2))} ms`;
}

export function formatCount(n: number | null): string {
  return n === null || !Number.isFinite(n) ? 'no data' : String(n);
}

export function formatPercentile(p: number | null): string {
  return p === null ? 'p?' : `p${p}`;
}

/** Min, max and last of the non-null points of a series: the text summary of a chart. */
export function seriesSummary(s: Series, format: (v: number) => string): string {
  const values = s.points.map((p) => p[1]).filter((v): v is number => v !== null && Number.isFinite(v));
  if (values.length === 0) return `${s.label}: no data`;
  const last = values[values.length - 1] as number;
  return `${s.label}: last ${format(last)}, min ${format(Math.min(...values))}, max ${format(Math.max(...values))} (${values.length} points)`;
}

/** A moment marked on a chart's time axis (a scale Event, say): unix seconds and what happened. */
export interface Mark {
  t: number;
  label: string;
}

const SCALE_REASONS = new Set(['ScaledUp', 'ScaledDown']);
const MAX_MARKS = 10;

/** The fleet's scale Events (newest first in) as marks, oldest first, at most MAX_MARKS; bad times are skipped. */
export function scaleMarks(events: FleetEvent[]): Mark[] {
  return events
    .filter((e) => SCALE_REASONS.has(e.reason) && Number.isFinite(Date.parse(e.time)))
    .slice(0, MAX_MARKS)
    .map((e) => ({ t: Math.floor(Date.parse(e.time) / 1000), label: `${e.reason} (${e.note})` }))
    .reverse();
}
