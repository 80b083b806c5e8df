/**
 * Types of the pure autoscaling core. Everything here is plain, serialisable data: the operator may keep
 * it in memory per fleet, and a restart only loses history that `decide` knows how to live without.
 * Times are milliseconds since the epoch; durations in the policy are seconds, like the CRD.
 */

export type RatePolicyType = 'Percent' | 'Pods';
export type SelectPolicy = 'Max' | 'Min' | 'Disabled';
export type FallbackBehavior = 'currentReplicasIfHigher' | 'currentReplicas' | 'static';

/** One HPA v2 rate policy: at most `value` pods or percent of change per `periodSeconds`. */
export interface RatePolicy {
  type: RatePolicyType;
  value: number;
  periodSeconds: number;
}

/** HPA v2 `behavior.scaleUp` / `behavior.scaleDown`. */
export interface ScalingRules {
  stabilizationWindowSeconds: number;
  policies: RatePolicy[];
  selectPolicy: SelectPolicy;
}

export interface ScheduleSpec {
  name: string;
  /** 5-field cron expression. */
  cron: string;
  timeZone: string;
  durationSeconds: number;
  minReplicas: number;
}

/** Optional worker signal (KEDA-style Kafka consumer lag per replica). Not part of the CRD yet. */
export interface WorkerLagPolicy {
  targetLagPerReplica: number;
  /** Consumers beyond the partition count sit idle, so the lag signal never asks for more. */
  partitions?: number;
}

/** `spec.scaling` of a ChatbotDeployment with every default applied. */
export interface ScalingPolicy {
  minReplicas: number;
  maxReplicas: number;
  paused: boolean;
  intervalSeconds: number;
  targetInflightPerPod: number;
  /**
   * spec.runtime.maxInflight: the runtime sheds beyond it, so in-flight at this level is a lower bound of
   * demand (panic then steps up). Absent: never treated as saturated.
   */
  maxInflightPerPod?: number | undefined;
  tolerance: number;
  metricsWindowSeconds: number;
  panic: { threshold: number; windowSeconds: number };
  behavior: { scaleUp: ScalingRules; scaleDown: ScalingRules };
  fallback: { failureThreshold: number; behavior: FallbackBehavior; replicas?: number | undefined };
  schedules: ScheduleSpec[];
  predictive: { leadSeconds: number };
  workerLag?: WorkerLagPolicy | undefined;
}

/** `spec.slo` with defaults applied. */
export interface SloPolicy {
  latency: { percentile: number; targetMs: number };
}

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
  /** Optional Kafka consumer lag of the fleet's worker group. */
  kafkaLag?: number | undefined;
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
  /** Learnt correction of targetInflightPerPod from latency, in [0.1, 1] (see target.ts). */
  inflightTargetScale: number;
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
export type Signal =
  'latency' | 'inflight' | 'panic' | 'kafkaLag' | 'schedule' | 'minReplicas' | 'fallback' | 'none';
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
  kafkaLagDesired: number | null;
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
