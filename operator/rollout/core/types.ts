/**
 * Public API of the pure rollout core (issue 12): `decide(spec, state, observed, now)` in ./decide.ts.
 * Everything here is plain JSON data. `RolloutState` is exactly what the operator persists in
 * `status.rollout`, so a new leader resumes from status alone; all times are ISO-8601 strings.
 * No Kubernetes client, Redis or Kafka here: the component (operator/rollout/component.ts) observes and acts.
 *
 * Functions (import from operator/rollout/core/index.js):
 * - `decide(spec: RolloutInputSpec, state: RolloutState | undefined, observed: RolloutObserved, now: Date):
 *   RolloutDecision`. `state` undefined = no status.rollout yet: the target is adopted as stable (Idle).
 * - `targetOf(spec: Pick<ChatbotDeploymentSpec, 'model' | 'runtime'>): Target` (identity of spec.model + image).
 * - `parseAction(annotation: string | undefined): ManualAction | undefined` (bounded, validated).
 * - `rolloutCondition(state: RolloutState): RolloutCondition` (RolloutHealthy).
 * - `bucket(fleetId: string, sessionId: string): number` in ./bucket.js (0..9999, the contract's hash).
 */
import type {
  ChatbotDeploymentSpec,
  ModelSpec,
  RolloutAnalysisStatus,
  RolloutStatus,
  RolloutStoredCounts,
  RolloutWeightSampleStatus,
} from '../../api/generated/chatbotdeployment.js';
import type { Histogram } from '../../autoscaler/sources/histogram.js';

export type { Histogram };

export type RolloutStrategy = 'Canary' | 'Immediate';

/** `spec.rollout` with CRD defaults applied (the API server applies them; strategy defaults to Canary). */
export type RolloutSpec = ChatbotDeploymentSpec['rollout'];
export type RolloutStep = RolloutSpec['steps'][number];

/** What `decide` reads from the CR: `spec.rollout` and `spec.slo` (pass `cbd.spec` as it is). */
export interface RolloutInputSpec {
  rollout: RolloutSpec;
  slo: ChatbotDeploymentSpec['slo'];
}

/** One version of the fleet's pod template as far as rollouts are concerned. */
export interface Revision {
  /** Identity: `targetOf(spec).id`; a change of it starts a rollout. */
  id: string;
  /**
   * Version label/env/routing value of this revision (`chatfleet.io/model-version`, MODEL_VERSION, metrics
   * label model_version). Normally `model.version`; when that equals the other track's version (an image-
   * or bundle-only change) it is `<model.version>-r<6 hex of id>` so the two tracks stay distinguishable.
   */
  version: string;
  model: ModelSpec;
  image: string;
}

/** The desired target as the CR spec says now: build it with `targetOf(spec)`. */
export interface Target {
  id: string;
  model: ModelSpec;
  image: string;
}

export type RolloutPhase = NonNullable<RolloutStatus['phase']>;
export type Verdict = NonNullable<RolloutAnalysisStatus['verdict']>;
export type AnalysisMetric = NonNullable<RolloutAnalysisStatus['metric']>;

/** `T` with the keys `K` present and not undefined (status types are generated all-optional). */
type Present<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };

/** One metric of one analysis check (status.rollout.lastAnalysis[]). Rates are 0..1, latency in ms. */
export type AnalysisResult = Present<
  RolloutAnalysisStatus,
  'metric' | 'canaryTurns' | 'stableTurns' | 'verdict' | 'reason'
>;

/** CamelCase reason of the current state (condition reasons, Progressing reasons). */
export type RolloutReason =
  | 'NoRollout'
  | 'RolloutStarted'
  | 'WaitingForCanary'
  | 'WaitingForRouting'
  | 'StepPaused'
  | 'AwaitingResume'
  | 'Analyzing'
  | 'AnalysisInconclusive'
  | 'ManualPause'
  | 'SpecPaused'
  | 'Promoting'
  | 'Promoted'
  | 'AnalysisFailed'
  | 'ProgressDeadlineExceeded'
  | 'ManualAbort'
  | 'SpecReverted';

/**
 * status.rollout as this code writes it: the generated `RolloutStatus` (field docs there) with the fields
 * every state has made required and the nested objects narrowed. Absent optional fields are simply absent
 * (never null).
 */
export type RolloutState = Present<
  Omit<RolloutStatus, 'reason' | 'stable' | 'canary' | 'lastAnalysis' | 'weightSample'>,
  | 'phase'
  | 'message'
  | 'stableVersion'
  | 'currentStepIndex'
  | 'canaryWeight'
  | 'failedChecks'
  | 'routingGeneration'
> & {
  reason: RolloutReason;
  stable: Revision;
  canary?: Revision;
  lastAnalysis: AnalysisResult[];
  /**
   * Counts summed over every analysis window judged at the current weight (reset when the weight changes).
   * Each check judges this total as well as its own window; the weight is raised only after a check whose
   * window and total both pass. Optional: a state without it starts the total at the next window.
   */
  weightSample?: WeightSample;
};

/** Counts of one version in `WeightSample`, JSON-safe (no Infinity). */
export type StoredCounts = Required<RolloutStoredCounts>;

/** status.rollout.weightSample: the analysis data of the current weight so far. */
export type WeightSample = Required<Omit<RolloutWeightSampleStatus, 'canary' | 'stable'>> & {
  canary: StoredCounts;
  stable: StoredCounts;
};

/** Counts of one version over one analysis window (increase between two scrapes, summed over pods). */
export interface VersionSample {
  /** Turns, outcome="shed" excluded (every source, cache included). */
  turns: number;
  /** Turns with outcome="error". */
  errors: number;
  /** Turns with source="fallback". */
  fallbacks: number;
  /** chatfleet_turn_duration_seconds buckets (seconds, cumulative), source="cache" and outcome="shed" excluded. */
  latency: Histogram;
  /** New conversations started on this version (chatfleet_conversations_started_total); optional. */
  conversations?: number;
}

/**
 * Analysis data for the window `state.analysisWindowStart`. The component keeps a baseline scrape per fleet,
 * takes a new baseline whenever `state.analysisWindowStart` changes, and passes the increase since it.
 */
export interface AnalysisSample {
  /** The `analysisWindowStart` this sample was collected for; a sample for another window is ignored. */
  window: string;
  /** Times of the baseline scrape and of the latest scrape; `from` must not be before `window`. */
  from: string;
  to: string;
  canary: VersionSample;
  stable: VersionSample;
}

export type ActionVerb = 'pause' | 'resume' | 'promote' | 'promote-full' | 'abort' | 'retry';

/** A parsed `chatfleet.io/rollout-action` annotation (`parseAction`). */
export interface ManualAction {
  verb: ActionVerb;
  nonce: string;
  /** The annotation value as written; compared with `state.lastHandledAction`. */
  raw: string;
}

export interface RolloutObserved {
  target: Target;
  /** The fleet's Ready condition is True (a rollout starts only from a Ready fleet; see docs/rollouts.md). */
  fleetReady: boolean;
  /** The canary Deployment exists, runs `state.canary`, and all of its wanted replicas (>= 1) are Ready. */
  canaryReady: boolean;
  /**
   * The stable Deployment runs `stableRevisionOf(state)` (the promoted canary while Promoting, NOT
   * `state.stable`, which stays the old version until Promoted) on every pod, and all are Ready.
   */
  stableUpdated: boolean;
  /** Lowest chatfleet_rollout_generation over every bot pod of both tracks; undefined when unknown. */
  minRoutingGeneration?: number;
  analysis?: AnalysisSample;
  action?: ManualAction;
}

/** routing.json of the contract, minus nothing: write it as is to `<name>-routing`. */
export interface Routing {
  generation: number;
  stableVersion: string;
  canaryVersion: string | null;
  canaryWeight: number;
  aborted: boolean;
}

export interface RolloutEvent {
  type: 'Normal' | 'Warning';
  reason:
    'RolloutStarted' | 'WeightChanged' | 'AnalysisInconclusive' | 'RolledBack' | 'Promoted' | 'RolloutPaused';
  note: string;
}

export interface RolloutDecision {
  state: RolloutState;
  routing: Routing;
  /**
   * Which revision each Deployment runs: `stable` always exists; `canary` is undefined when the canary
   * Deployment should not exist (delete it). After an abort it is kept with `canaryReplicasShare` 0.
   */
  stableRevision: Revision;
  canaryRevision?: Revision;
  /** Share of the fleet's load the canary should get capacity for, 0..1 (0 = scale the canary to 0). */
  canaryReplicasShare: number;
  events: RolloutEvent[];
  /** Reconcile again after this long (a pause ends, an analysis falls due, a deadline passes). */
  requeueAfterMs?: number;
}

export interface RolloutCondition {
  type: 'RolloutHealthy';
  status: 'True' | 'False';
  reason: RolloutReason;
  message: string;
}
