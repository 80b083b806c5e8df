/**
 * Types of the pure autoscaling core. Everything here is plain, serialisable data: the operator may keep
 * it in memory per fleet, and a restart only loses history that `decide` knows how to live without.
 * Times are milliseconds since the epoch; durations in the policy are seconds, like the CRD.
 */

import type {
  FallbackSpec,
  ScaleDownRules,
  ScaleUpRules,
  ScalingSchedule,
  ScalingSpec,
  SloSpec,
} from '../../api/generated/chatbotdeployment.js';
import type { CapacityEstimate } from './capacity.js';

// The policy types are the generated CRD types (defaults applied), narrowed to what the core reads: one
// definition of each field, in crds/. Only type imports: the core stays free of the API package's code.

/** One HPA v2 rate policy: at most `value` pods or percent of change per `periodSeconds`. */
export type RatePolicy = ScaleUpRules['policies'][number];
export type RatePolicyType = RatePolicy['type'];
export type SelectPolicy = ScaleUpRules['selectPolicy'];
export type FallbackBehavior = FallbackSpec['behavior'];

/**
 * HPA v2 `behavior.scaleUp` / `behavior.scaleDown` (both have this shape; only their defaults differ),
 * plus scaleDown's `trafficDropWindowSeconds` (absent: off, as for scaleUp).
 */
export type ScalingRules = Pick<ScaleUpRules, 'stabilizationWindowSeconds' | 'policies' | 'selectPolicy'> &
  Partial<Pick<ScaleDownRules, 'trafficDropWindowSeconds'>>;

/** One entry of spec.scaling.schedules. */
export type ScheduleSpec = ScalingSchedule;

/** `spec.scaling` of a ChatbotDeployment with every default applied, plus what the core derives. */
export interface ScalingPolicy extends Pick<
  ScalingSpec,
  'minReplicas' | 'maxReplicas' | 'paused' | 'intervalSeconds' | 'tolerance' | 'metricsWindowSeconds'
> {
  /** spec.scaling.targetInflightPerPod, or its documented default (a share of spec.runtime.maxInflight). */
  targetInflightPerPod: number;
  /**
   * spec.scaling.targetInflightPerPod is unset: the target is learnt online (capacity.ts), and the default
   * above is only its ceiling and what acts until the first usable window.
   */
  learnCapacity: boolean;
  /** What the learnt capacity belongs to (image, model, SLO): another value starts learning again. */
  capacityRevision: string;
  /**
   * spec.runtime.maxInflight: the runtime sheds beyond it, so in-flight at this level is a lower bound of
   * demand (panic then steps up). Absent: never treated as saturated.
   */
  maxInflightPerPod?: number | undefined;
  panic: Pick<ScalingSpec['panic'], 'threshold' | 'windowSeconds'>;
  behavior: { scaleUp: ScalingRules; scaleDown: ScalingRules };
  fallback: Pick<FallbackSpec, 'failureThreshold' | 'behavior' | 'replicas'>;
  schedules: ScheduleSpec[];
  predictive: Pick<ScalingSpec['predictive'], 'leadSeconds'>;
}

/** `spec.slo` with defaults applied. */
export type SloPolicy = SloSpec;

/** A successful metrics fetch. */
export interface MetricSample {
  kind: 'sample';
  time: number;
  /**
   * Latency percentile (`slo.latency.percentile`) over the metrics window, in ms. `null` means no turn
   * completed in the window: that is "no latency data", never "latency 0".
   */
  latencyMs: number | null;
  /** Turns completed in the window (0 with latencyMs null). */
  turns: number;
  /** Sum of `chatfleet_turns_inflight` over the pods that answered (an instantaneous gauge: leading, noisy). */
  inflight: number;
  /**
   * Time-averaged in-flight turns since the previous sample, by Little's law: the increase of the duration
   * histogram's `_sum` (turn-seconds) divided by the elapsed time. Far less noisy than the gauge; null or
   * absent when unknown (first scrape).
   */
  concurrency?: number | null | undefined;
  /** Pods whose metrics were read. */
  podsReporting: number;
}

/** The source answered, but there was nothing to read (no pods, empty query result). */
export interface NoData {
  kind: 'noData';
  time: number;
  reason: string;
}

/** The source could not be read (connection refused, HTTP error, parse error). */
export interface Failure {
  kind: 'failure';
  time: number;
  error: string;
}

export type MetricObservation = MetricSample | NoData | Failure;

export interface Recommendation {
  time: number;
  replicas: number;
  /** Turns completed in the metrics window when it was made (the traffic-drop rule); absent without a sample. */
  turns?: number;
}

export interface ScaleEvent {
  time: number;
  /** Positive for scale-up, negative for scale-down. */
  delta: number;
}

/** What `decide` remembers between calls. All fields are replaceable by `initialState` after a restart. */
export interface AutoscalerState {
  /** Raw recommendations, for the stabilization windows. */
  recommendations: Recommendation[];
  /** Changes this scaler made, for the rate policies. */
  scaleEvents: ScaleEvent[];
  /** When panic mode was entered; null when stable. */
  panicSince: number | null;
  /** Last time short-window demand was at or above the panic threshold. */
  lastPanicTrigger: number | null;
  /** Highest count recommended while in panic (panic never scales below it). */
  panicHighWater: number;
  lastScaleTime: number | null;
  /** Learnt correction of a configured targetInflightPerPod from latency, in [0.1, 1] (see target.ts). */
  inflightTargetScale: number;
  /** The in-flight per pod learnt online when no target is configured (capacity.ts). */
  capacity?: CapacityEstimate | undefined;
}

export interface DecisionInput {
  policy: ScalingPolicy;
  slo: SloPolicy;
  /** `spec.replicas` of the Deployment right now (what this scaler set last, or a human). */
  currentReplicas: number;
  readyReplicas: number;
  /** Observations in time order, oldest first, including failures and no-data. */
  history: MetricObservation[];
  state: AutoscalerState;
  now: number;
}

export type Mode = 'stable' | 'panic' | 'fallback';
export type Signal = 'latency' | 'inflight' | 'panic' | 'schedule' | 'minReplicas' | 'fallback' | 'none';
export type LimitedBy = 'min' | 'max' | 'rate';

/** Per-signal view of the last evaluation, for status, metrics and the docs. */
export interface SignalReadings {
  latencyMs: number | null;
  latencyDesired: number | null;
  inflightPerPod: number | null;
  inflightDesired: number | null;
  /** targetInflightPerPod x the learnt scale: the per-pod in-flight this evaluation aimed for. */
  effectiveTargetInflightPerPod: number;
  panicDemandRatio: number | null;
  panicDesired: number | null;
  /** The learnt in-flight per pod (capacity.ts); null when a target is configured or nothing is learnt yet. */
  learntInflightPerPod: number | null;
  scheduleFloor: number;
  consecutiveFailures: number;
}

export interface Decision {
  desiredReplicas: number;
  mode: Mode;
  reason: string;
  /** The signal that drove the recommendation. */
  signal: Signal;
  limitedBy?: LimitedBy | undefined;
  /** The recommendation before stabilization, rate limits and bounds. */
  rawRecommendation: number;
  readings: SignalReadings;
  nextState: AutoscalerState;
}
