import type { Logger } from 'pino';
import type { ResourceKind } from '../kube/resources.js';
import type { ConditionInput } from '../workload/status.js';
import type { ChatbotDeployment, EnvVar, KubeObject } from '../workload/types.js';

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
 *   `requeueAfterMs` = its evaluation interval, `events`.
 * Components must be deterministic functions of what they read: they run on every reconcile, and
 * a steady state must produce identical contributions so that no write is issued.
 */
export interface ComponentContext {
  cr: ChatbotDeployment;
  log: Logger;
  now: Date;
  /** The bot Deployment as last observed (undefined before it exists). */
  deployment: KubeObject | undefined;
  /** Bot pods of this fleet as last observed. */
  pods: KubeObject[];
  /** What earlier components contributed in this reconcile. */
  contributed: Readonly<MergedContributions>;
}

export interface OwnedChild {
  /** Needed for kinds the core does not know (StatefulSet, Secret, ...). */
  resource: ResourceKind;
  /** Built fresh with only owned fields, with a controller ownerReference to the CR. */
  object: KubeObject;
}

export interface ComponentEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  action: string;
  note: string;
}

export interface Contribution {
  children?: OwnedChild[];
  env?: EnvVar[];
  replicas?: number;
  conditions?: ConditionInput[];
  /** Top-level status fields (merged shallowly into status; must exist in the CRD schema). */
  status?: Record<string, unknown>;
  /** Keeps Ready False (first entry's reason/message shown) while something is not ready yet. */
  notReady?: { reason: string; message: string }[];
  requeueAfterMs?: number;
  /** A finalizer this component needs on the CR while it exists. */
  finalizer?: string;
  events?: ComponentEvent[];
}

export interface FinalizeResult {
  done: boolean;
  requeueAfterMs?: number;
}

export interface FleetComponent {
  readonly name: string;
  reconcile(ctx: ComponentContext): Promise<Contribution>;
  /** Runs while the CR is being deleted and still carries `finalizer`; cleanup outside the cluster. */
  finalize?(ctx: { cr: ChatbotDeployment; log: Logger }): Promise<FinalizeResult>;
  readonly finalizer?: string;
  /** Called once the CR is gone (key `namespace/name`): drop in-memory state and per-fleet metrics. */
  forget?(key: string): void;
}

export interface MergedContributions {
  children: OwnedChild[];
  env: EnvVar[];
  replicas: number | undefined;
  conditions: ConditionInput[];
  status: Record<string, unknown>;
  notReady: { reason: string; message: string }[];
  requeueAfterMs: number | undefined;
  finalizers: string[];
  events: ComponentEvent[];
}

export function emptyContributions(): MergedContributions {
  return {
    children: [],
    env: [],
    replicas: undefined,
    conditions: [],
    status: {},
    notReady: [],
    requeueAfterMs: undefined,
    finalizers: [],
    events: [],
  };
}

/** Pure merge: lists append in component order, replicas last-wins, requeue takes the soonest. */
export function mergeContribution(into: MergedContributions, c: Contribution): MergedContributions {
  return {
    children: [...into.children, ...(c.children ?? [])],
    env: [...into.env, ...(c.env ?? [])],
    replicas: c.replicas ?? into.replicas,
    conditions: [...into.conditions, ...(c.conditions ?? [])],
    status: { ...into.status, ...c.status },
    notReady: [...into.notReady, ...(c.notReady ?? [])],
    requeueAfterMs: minDefined(into.requeueAfterMs, c.requeueAfterMs),
    finalizers: c.finalizer ? [...into.finalizers, c.finalizer] : into.finalizers,
    events: [...into.events, ...(c.events ?? [])],
  };
}

export function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
