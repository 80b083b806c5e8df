import type { ChatbotDeploymentStatus, KubeObject } from '../workload/types.js';
import { APP_NAME, LABEL_INSTANCE, LABEL_NAME } from '../workload/labels.js';
import { isSubset } from './drift.js';
import { conflictBackoffMs } from './ownership.js';

/**
 * The pure decisions of FleetReconciler (operator/controller/reconciler.ts), apart from its I/O: whether
 * status or finalizers need a write, which pods are the fleet's bot pods, and the requeue while a name
 * conflict lasts. Table-driven tests in reconcile-decisions.test.ts.
 */

/** A bot pod of fleet `name`. Managed Redis pods carry the same instance and managed-by labels, not the name. */
export function isBotPodOf(pod: KubeObject, name: string): boolean {
  const labels = pod.metadata.labels;
  return labels?.[LABEL_INSTANCE] === name && labels[LABEL_NAME] === APP_NAME;
}

/**
 * Whether the CR's finalizers must be applied: one the components want is missing, or one of ours
 * (`ours`: every component's finalizer) is present but no longer wanted. Others' finalizers never count.
 */
export function finalizersChange(
  present: readonly string[],
  wanted: readonly string[],
  ours: readonly string[],
): boolean {
  const missing = wanted.some((f) => !present.includes(f));
  const stale = present.some((f) => ours.includes(f) && !wanted.includes(f));
  return missing || stale;
}

/**
 * While a name conflict lasts the fleet is looked at again with a backoff: the contested object's events
 * enqueue its own owner, not this fleet, and it may go away (its owner deleted, a user renaming it). The
 * delay grows with how long the conflict has lasted (conflictBackoffMs); state per fleet key, dropped when
 * the conflict clears or the fleet goes.
 */
export class ConflictBackoff {
  /** Since when (ms) each fleet has had a name conflict. */
  private readonly since = new Map<string, number>();

  /** The requeue delay for fleet `key` now (`nowMs`), or undefined without a conflict. */
  requeueMs(key: string, conflicted: boolean, nowMs: number): number | undefined {
    if (!conflicted) {
      this.since.delete(key);
      return undefined;
    }
    const since = this.since.get(key) ?? nowMs;
    this.since.set(key, since);
    return conflictBackoffMs(nowMs - since);
  }

  forget(key: string): void {
    this.since.delete(key);
  }

  get size(): number {
    return this.since.size;
  }
}

/**
 * Status written by us is complete, so a subset check plus equal condition count is equality. Except
 * status.rollout, whose optional fields come and go (stepStartedAt, canary, ...): a field left in live
 * but no longer desired must be removed (the new leader resumes from it), so it is compared both ways.
 */
export function statusUpToDate(
  desired: ChatbotDeploymentStatus,
  live: ChatbotDeploymentStatus | undefined,
): boolean {
  if (live === undefined || !isSubset(desired, live)) return false;
  return desired.rollout === undefined || isSubset(live.rollout, desired.rollout);
}

/**
 * Whether this reconcile's status write waits for the next reconcile: the stable Deployment was just
 * created or its spec changed (`written` has another generation than `before`), so the Deployment
 * controller writes that Deployment's status moments from now, and that watch event wakes the fleet
 * again. The status written then counts the new ReplicaSet; written now it would only say Progressing
 * and be replaced at once (two status writes per change instead of one, the second on the critical path
 * of every created fleet). Never when a failure or a name conflict must be shown.
 */
export function statusWaitsForDeployment(
  before: KubeObject | undefined,
  written: KubeObject | undefined,
  problem: boolean,
): boolean {
  if (written === undefined || problem) return false;
  return before?.metadata.generation !== written.metadata.generation;
}
