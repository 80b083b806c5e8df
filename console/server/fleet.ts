import type {
  AnalysisRow,
  Condition,
  FleetDetail,
  FleetEvent,
  FleetSummary,
  ShardRow,
  TopicRow,
} from '../shared/model.js';

/**
 * Raw ChatbotDeployment / Event JSON from the API server to what the browser shows. Pure and
 * defensive: a field of the wrong type reads as absent (null), never as 0, so the page says "no data".
 */
type Json = Record<string, unknown>;

const MAX_TEXT = 1024;
const MAX_ROWS = 64;

function obj(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v.slice(0, MAX_ROWS) : [];
}
function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
function str(v: unknown): string | null {
  return typeof v === 'string' ? v.slice(0, MAX_TEXT) : null;
}
function optStr(v: unknown): { value?: string } {
  const s = str(v);
  return s === null ? {} : { value: s };
}

function conditionsOf(status: Json): Condition[] {
  return arr(status.conditions).map((raw) => {
    const c = obj(raw);
    const reason = optStr(c.reason).value;
    const message = optStr(c.message).value;
    const at = optStr(c.lastTransitionTime).value;
    return {
      type: str(c.type) ?? '?',
      status: str(c.status) ?? 'Unknown',
      ...(reason !== undefined ? { reason } : {}),
      ...(message !== undefined ? { message } : {}),
      ...(at !== undefined ? { lastTransitionTime: at } : {}),
    };
  });
}

export function summarize(raw: unknown): FleetSummary {
  const cbd = obj(raw);
  const meta = obj(cbd.metadata);
  const spec = obj(cbd.spec);
  const status = obj(cbd.status);
  const latency = obj(obj(spec.slo).latency);
  const autoscaling = obj(status.autoscaling);
  const rollout = obj(status.rollout);
  const ready = conditionsOf(status).find((c) => c.type === 'Ready');
  return {
    namespace: str(meta.namespace) ?? '',
    name: str(meta.name) ?? '',
    modelVersion: str(obj(spec.model).version) ?? '',
    ready: ready?.status ?? 'Unknown',
    sloPercentile: num(latency.percentile) ?? 95,
    sloTargetMs: num(latency.targetMs) ?? 300,
    observedLatencyMs: num(autoscaling.observedLatencyMs),
    desiredReplicas: num(autoscaling.desiredReplicas),
    readyReplicas: num(status.readyReplicas),
    mode: str(autoscaling.mode),
    rolloutPhase: str(rollout.phase),
    canaryWeight: num(rollout.canaryWeight),
    resourceVersion: str(meta.resourceVersion) ?? '',
  };
}

function analysisOf(rollout: Json): AnalysisRow[] {
  return arr(rollout.lastAnalysis).map((raw) => {
    const a = obj(raw);
    const reason = optStr(a.reason).value;
    return {
      metric: str(a.metric) ?? '?',
      canary: num(a.canary),
      stable: num(a.stable),
      verdict: str(a.verdict) ?? 'unknown',
      ...(reason !== undefined ? { reason } : {}),
    };
  });
}

function shardsOf(status: Json): ShardRow[] {
  return arr(obj(status.redis).shards).map((raw, i) => {
    const s = obj(raw);
    const message = optStr(s.message).value;
    return {
      index: num(s.index) ?? i,
      primary: str(s.primary) ?? '',
      replicas: num(s.replicas),
      slots: str(s.slots) ?? '',
      ready: s.ready === true,
      ...(message !== undefined ? { message } : {}),
    };
  });
}

function topicsOf(status: Json): TopicRow[] {
  return arr(status.topics).map((raw) => {
    const t = obj(raw);
    const message = optStr(t.message).value;
    return {
      name: str(t.name) ?? '?',
      partitions: num(t.partitions),
      ready: t.ready === true,
      ...(message !== undefined ? { message } : {}),
    };
  });
}

export function detail(raw: unknown): FleetDetail {
  const cbd = obj(raw);
  const spec = obj(cbd.spec);
  const status = obj(cbd.status);
  const autoscaling = obj(status.autoscaling);
  const rollout = obj(status.rollout);
  const steps = obj(spec.rollout).steps;
  return {
    ...summarize(raw),
    conditions: conditionsOf(status),
    autoscalingReason: str(autoscaling.reason),
    lastScaleTime: str(autoscaling.lastScaleTime),
    rollout: {
      stableVersion: str(rollout.stableVersion),
      canaryVersion: str(rollout.canaryVersion),
      currentStepIndex: num(rollout.currentStepIndex),
      totalSteps: Array.isArray(steps) ? steps.length : null,
      reason: str(rollout.reason),
      message: str(rollout.message),
      lastAnalysisAt: str(rollout.lastAnalysisAt),
      analysis: analysisOf(rollout),
    },
    shards: shardsOf(status),
    topics: topicsOf(status),
  };
}

function firstString(values: unknown[]): string {
  for (const v of values) {
    const s = str(v);
    if (s !== null) return s;
  }
  return '';
}

/** An events.k8s.io/v1 Event about a ChatbotDeployment, or undefined for any other Event. */
export function fleetEvent(raw: unknown): FleetEvent | undefined {
  const e = obj(raw);
  const meta = obj(e.metadata);
  const regarding = obj(e.regarding);
  if (regarding.kind !== 'ChatbotDeployment') return undefined;
  const series = obj(e.series);
  return {
    uid: str(meta.uid) ?? '',
    namespace: str(regarding.namespace) ?? str(meta.namespace) ?? '',
    fleet: str(regarding.name) ?? '',
    type: str(e.type) ?? 'Normal',
    reason: str(e.reason) ?? '',
    note: str(e.note) ?? '',
    time: firstString([
      series.lastObservedTime,
      e.eventTime,
      e.deprecatedLastTimestamp,
      meta.creationTimestamp,
    ]),
    count: num(series.count) ?? num(e.deprecatedCount) ?? 1,
  };
}
