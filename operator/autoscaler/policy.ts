import { DEFAULT_MAX_INFLIGHT, defaultScalingPolicy, defaultSloPolicy } from './core/defaults.js';
import type {
  FallbackBehavior,
  RatePolicy,
  ScalingPolicy,
  ScalingRules,
  ScheduleSpec,
  SloPolicy,
} from './core/types.js';

/**
 * The fields of a ChatbotDeployment the autoscaler reads (chatfleet.io/v1alpha1). A local, minimal shape on
 * purpose: the generated CRD types live under operator/api/ and this module must not depend on them.
 * Every field is optional here; defaults are applied below (the API server applies the same ones).
 */
export interface RatePolicyField {
  type?: 'Percent' | 'Pods';
  value?: number;
  periodSeconds?: number;
}

export interface ScalingRulesField {
  stabilizationWindowSeconds?: number;
  policies?: RatePolicyField[];
  selectPolicy?: 'Max' | 'Min' | 'Disabled';
}

export interface ScalingField {
  minReplicas?: number;
  maxReplicas?: number;
  paused?: boolean;
  intervalSeconds?: number;
  targetInflightPerPod?: number;
  tolerance?: number;
  metricsWindowSeconds?: number;
  panic?: { threshold?: number; windowSeconds?: number };
  behavior?: { scaleUp?: ScalingRulesField; scaleDown?: ScalingRulesField };
  fallback?: { failureThreshold?: number; behavior?: FallbackBehavior; replicas?: number };
  schedules?: Partial<ScheduleSpec>[];
  predictive?: { leadSeconds?: number };
  metrics?: { source?: 'scrape' | 'prometheus'; prometheus?: { url?: string; query?: string } };
}

export interface AutoscaledFleet {
  metadata: { namespace?: string; name?: string; generation?: number; annotations?: Record<string, string> };
  spec: {
    runtime?: { maxInflight?: number };
    scaling?: ScalingField;
    slo?: { latency?: { percentile?: number; targetMs?: number } };
  };
}

/** Annotation alternative to spec.scaling.paused (handy for `kubectl annotate`). */
export const PAUSED_ANNOTATION = 'chatfleet.io/autoscaling-paused';

function rules(field: ScalingRulesField | undefined, defaults: ScalingRules): ScalingRules {
  const policies: RatePolicy[] | undefined = field?.policies?.map((p) => ({
    type: p.type ?? 'Percent',
    value: p.value ?? 100,
    periodSeconds: p.periodSeconds ?? 15,
  }));
  return {
    stabilizationWindowSeconds: field?.stabilizationWindowSeconds ?? defaults.stabilizationWindowSeconds,
    policies: policies === undefined || policies.length === 0 ? defaults.policies : policies,
    selectPolicy: field?.selectPolicy ?? defaults.selectPolicy,
  };
}

function schedules(list: Partial<ScheduleSpec>[] | undefined): ScheduleSpec[] {
  return (list ?? []).map((s, i) => ({
    name: s.name ?? `schedule-${i}`,
    cron: s.cron ?? '',
    timeZone: s.timeZone ?? 'UTC',
    durationSeconds: s.durationSeconds ?? 3600,
    minReplicas: s.minReplicas ?? 0,
  }));
}

/** Copies the fields of `override` that are set (undefined never overwrites a default). */
function withDefaults<T extends object>(defaults: T, override: Partial<T> | undefined): T {
  const out = { ...defaults };
  for (const [key, value] of Object.entries(override ?? {})) {
    if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}

const SCALAR_FIELDS = [
  'minReplicas',
  'maxReplicas',
  'intervalSeconds',
  'targetInflightPerPod',
  'tolerance',
  'metricsWindowSeconds',
] as const;

/** spec.scaling with defaults; targetInflightPerPod defaults to 0.7 x runtime.maxInflight. */
export function resolveScalingPolicy(fleet: AutoscaledFleet): ScalingPolicy {
  const s = fleet.spec.scaling ?? {};
  const d = defaultScalingPolicy(fleet.spec.runtime?.maxInflight ?? DEFAULT_MAX_INFLIGHT);
  const scalars = withDefaults(
    Object.fromEntries(SCALAR_FIELDS.map((k) => [k, d[k]])) as Pick<
      ScalingPolicy,
      (typeof SCALAR_FIELDS)[number]
    >,
    Object.fromEntries(SCALAR_FIELDS.map((k) => [k, s[k]])),
  );
  const annotationPaused = fleet.metadata.annotations?.[PAUSED_ANNOTATION] === 'true';
  return {
    ...d,
    ...scalars,
    paused: s.paused === true || annotationPaused,
    panic: withDefaults(d.panic, s.panic),
    behavior: {
      scaleUp: rules(s.behavior?.scaleUp, d.behavior.scaleUp),
      scaleDown: rules(s.behavior?.scaleDown, d.behavior.scaleDown),
    },
    fallback: withDefaults(d.fallback, s.fallback),
    schedules: schedules(s.schedules),
    predictive: withDefaults(d.predictive, s.predictive),
  };
}

export function resolveSloPolicy(fleet: AutoscaledFleet): SloPolicy {
  const d = defaultSloPolicy();
  return { latency: withDefaults(d.latency, fleet.spec.slo?.latency) };
}
