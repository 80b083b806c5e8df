import type { Logger } from 'pino';
import type { ResourceKind } from '../kube/resources.js';
import type { ConditionInput } from '../workload/status.js';
import type { TrackRevision } from '../workload/tracks.js';
import type { ChatbotDeployment, EnvVar, KubeObject } from '../workload/types.js';
import type { FleetCaches, ObjectCache } from './reconciler.js';

/**
 * Extension point of the reconciler: a FleetComponent contributes to the reconcile of one
 * ChatbotDeployment without touching the core. The reconciler runs the registered components
 * in order on every reconcile (level-based: they see the CR and observed children, never an
 * event type), merges what they return, then applies the core children plus theirs and writes
 * one status. Intended users:
 * - the data plane (operator/dataplane): managed Redis objects as `children`, REDIS_* and KAFKA_*
 *   `env` for the bot pods, RedisReady/TopicsReady `conditions`, `status.redis`/`status.topics`,
 *   `notReady` while provisioning, `requeueAfterMs` while waiting, a `finalizer` plus `finalize`
 *   for Kafka topics with deletionPolicy Delete;
 * - the autoscaler (operator/autoscaler): `replicas` (the Deployment's spec.replicas; the core
 *   writes it under the single field manager, so the autoscaler decides the value and nobody
 *   else sets it), `status.autoscaling`, ScalingActive/ScalingLimited/SLOMet `conditions`,
 *   `requeueAfterMs` = its evaluation interval, `events`. It sizes the stable track only;
 * - the rollout (operator/rollout): `tracks` (which revision the stable Deployment runs, whether a canary
 *   Deployment exists and its share of the load), the routing ConfigMap and its Role as `children`,
 *   `status.rollout`, RolloutHealthy `conditions`, `events`.
 * Replica counts are composed explicitly, not by component order: the stable Deployment gets `replicas`
 * (one owner, the autoscaler), the canary gets composeReplicas(replicas, tracks.canary.share) (one owner,
 * the rollout's share); see operator/workload/tracks.ts.
 * Components must be deterministic functions of what they read: they run on every reconcile, and
 * a steady state must produce identical contributions so that no write is issued.
 */
export interface ComponentContext {
  /** The CR, defaulted once per reconcile (withDefaults, from the CRD schema). */
  cbd: ChatbotDeployment;
  log: Logger;
  now: Date;
  /** The bot Deployment (the stable track) as last observed (undefined before it exists). */
  deployment: KubeObject | undefined;
  /** The canary Deployment `<name>-canary` as last observed (exists only during a rollout). */
  canaryDeployment?: KubeObject | undefined;
  /** Bot pods of this fleet as last observed, both tracks (label chatfleet.io/track tells them apart). */
  pods: KubeObject[];
  /** Aborted when this operator's term ends: calls outside the API server (brokers, pods) stop waiting. */
  signal?: AbortSignal;
}

export interface OwnedChild {
  /** Needed for kinds the core does not know (StatefulSet, Secret, ...). */
  resource: ResourceKind;
  /** Built fresh with only owned fields, with a controller ownerReference to the CR. */
  object: KubeObject;
  /**
   * Read the live object from the core's informer cache instead of a GET per reconcile (ConfigMap,
   * Service, ServiceAccount carrying the managed-by label only).
   */
  cached?: boolean;
  /**
   * Read the live object from this informer cache (one of ComponentCaches) instead of a GET per
   * reconcile; the component that owns the child knows which informer sees it.
   */
  cache?: ObjectCache;
}

/**
 * The operator's informer caches, handed to component factories (operator/controller/manager.ts).
 * Each holds only objects labelled managed-by=chatfleet-operator, so memory grows with what the
 * operator owns, not with the cluster.
 */
export interface ComponentCaches extends FleetCaches {
  /** Managed Redis StatefulSets; empty when RBAC grants no list on StatefulSets (rbac.dataPlane=false). */
  statefulSets: ObjectCache;
  /**
   * Secrets the operator created (managed-by label: the generated Redis password Secrets), so one
   * deleted is recreated at once. `watching` is false when RBAC grants no list/watch on Secrets.
   */
  secrets: ObjectCache & { readonly watching: boolean };
}

export interface ComponentEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  action: string;
  note: string;
}

/** How the fleet's pods split into tracks; without it the fleet is one stable track running the spec. */
export interface TracksContribution {
  /** The revision the stable Deployment runs (during a rollout, the one before the spec's change). */
  stable: TrackRevision;
  /** The canary Deployment; absent means there is none (an existing one is deleted). */
  canary?: { revision: TrackRevision; share: number };
  /** The routing ConfigMap every bot pod watches (env CHATFLEET_ROUTING_CONFIGMAP). */
  routingConfigMap: string;
}

export interface Contribution {
  children?: OwnedChild[];
  env?: EnvVar[];
  /** spec.replicas of the stable Deployment (the autoscaler). */
  replicas?: number;
  /** One owner (the rollout component); last wins. */
  tracks?: TracksContribution;
  conditions?: ConditionInput[];
  /** Top-level status fields (merged shallowly into status; must exist in the CRD schema). */
  status?: Record<string, unknown>;
  /** Keeps Ready False (first entry's reason/message shown) while something is not ready yet. */
  notReady?: { reason: string; message: string }[];
  requeueAfterMs?: number;
  /** A finalizer this component needs on the CR while it exists. */
  finalizer?: string;
  events?: ComponentEvent[];
  /** Annotations on the bot pod template of both tracks; a changed value rolls the pods. */
  podAnnotations?: Record<string, string>;
}

export interface FinalizeResult {
  done: boolean;
  requeueAfterMs?: number;
  /** Recorded on the CR (e.g. what the cleanup deleted, or left behind when it gave up). */
  events?: ComponentEvent[];
}

export interface FleetComponent {
  readonly name: string;
  reconcile(ctx: ComponentContext): Promise<Contribution>;
  /** Runs while the CR is being deleted and still carries `finalizer`; cleanup outside the cluster. */
  finalize?(ctx: {
    cbd: ChatbotDeployment;
    log: Logger;
    now: Date;
    signal?: AbortSignal;
  }): Promise<FinalizeResult>;
  readonly finalizer?: string;
  /** Called once the CR is gone (key `namespace/name`): drop in-memory state and per-fleet metrics. */
  forget?(key: string): void;
  /** Called when the controller stops (shutdown, leadership lost): release connections it holds. */
  close?(): Promise<void>;
}

export interface MergedContributions {
  children: OwnedChild[];
  env: EnvVar[];
  replicas: number | undefined;
  tracks: TracksContribution | undefined;
  conditions: ConditionInput[];
  status: Record<string, unknown>;
  notReady: { reason: string; message: string }[];
  requeueAfterMs: number | undefined;
  finalizers: string[];
  events: ComponentEvent[];
  podAnnotations: Record<string, string>;
}

export function emptyContributions(): MergedContributions {
  return {
    children: [],
    env: [],
    replicas: undefined,
    tracks: undefined,
    conditions: [],
    status: {},
    notReady: [],
    requeueAfterMs: undefined,
    finalizers: [],
    events: [],
    podAnnotations: {},
  };
}

/** Pure merge: lists append in component order, replicas last-wins, requeue takes the soonest. */
export function mergeContribution(into: MergedContributions, c: Contribution): MergedContributions {
  return {
    children: [...into.children, ...(c.children ?? [])],
    env: [...into.env, ...(c.env ?? [])],
    replicas: c.replicas ?? into.replicas,
    tracks: c.tracks ?? into.tracks,
    conditions: [...into.conditions, ...(c.conditions ?? [])],
    status: { ...into.status, ...c.status },
    notReady: [...into.notReady, ...(c.notReady ?? [])],
    requeueAfterMs: minDefined(into.requeueAfterMs, c.requeueAfterMs),
    finalizers: c.finalizer ? [...into.finalizers, c.finalizer] : into.finalizers,
    events: [...into.events, ...(c.events ?? [])],
    podAnnotations: { ...into.podAnnotations, ...c.podAnnotations },
  };
}

export function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
