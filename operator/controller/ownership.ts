import { ConditionReason } from '../api/index.js';
import { chatbotDeploymentCrd } from '../api/generated/crd.js';
import type { ResourceKind } from '../kube/resources.js';
import { mergeConditions } from '../workload/status.js';
import type { ConditionInput } from '../workload/status.js';
import type {
  ChatbotDeployment,
  ChatbotDeploymentStatus,
  KubeObject,
  OwnerReference,
} from '../workload/types.js';

/** apiVersion and kind of a ChatbotDeployment, read from the generated CRD (its storage version). */
const OWNER_API_VERSION = `${chatbotDeploymentCrd.spec.group}/${storageVersion()}`;
const OWNER_KIND = chatbotDeploymentCrd.spec.names.kind;

function storageVersion(): string {
  const stored = chatbotDeploymentCrd.spec.versions.find((v) => v.storage);
  if (!stored) throw new Error('the generated ChatbotDeployment CRD has no storage version');
  return stored.name;
}

/**
 * The controller ownerReference every child of a ChatbotDeployment carries: the garbage collector deletes
 * the children with the CR, child events enqueue the CR, and `controlledBy` recognises them. The one place
 * owner references are built (operator, data plane, rollout). Throws for a CR without a uid (never a live
 * one): the API server rejects an ownerReference with an empty uid, so failing here names the cause.
 */
export function ownerReferenceFor(cbd: Pick<ChatbotDeployment, 'metadata'>): OwnerReference {
  const { name, namespace, uid } = cbd.metadata;
  if (!uid) throw new Error(`ChatbotDeployment ${namespace ?? ''}/${name ?? ''} has no uid yet`);
  return {
    apiVersion: OWNER_API_VERSION,
    kind: OWNER_KIND,
    name: name ?? '',
    uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/**
 * Name conflicts (issue 14): a child's name is derived from the CR's name, so another object of the same
 * kind and name can already exist: a user's own object, or (for CRs created before admission rejected the
 * colliding names, docs/api.md Validation) a child of another ChatbotDeployment. The operator never
 * force-applies over an object whose controller ownerReference is not this CR (by uid), and an object
 * with no controller at all is not taken over either. Pure: the reconciler feeds it the live objects.
 */
export interface NameConflict {
  kind: string;
  namespace: string;
  name: string;
  /** Who controls the object, for people: "ChatbotDeployment a (uid ...)" or "nobody ...". */
  owner: string;
}

/** At most this many conflicts are named in the condition message (bounded status). */
const SHOWN = 3;
const BACKOFF_BASE_MS = 2_000;
const BACKOFF_MAX_MS = 30_000;

/** True when `obj`'s controller ownerReference is this CR (by uid, so a re-created CR of the same name is not). */
export function controlledBy(obj: KubeObject, cbd: Pick<ChatbotDeployment, 'metadata'>): boolean {
  return (obj.metadata.ownerReferences ?? []).some(
    (r) => r.controller === true && r.uid === cbd.metadata.uid,
  );
}

/** The object's controller, described for a person. */
export function describeOwner(obj: KubeObject): string {
  const ref = (obj.metadata.ownerReferences ?? []).find((r) => r.controller === true);
  if (!ref) return 'nobody (no controller ownerReference: an object this fleet did not create)';
  return `${ref.kind} ${ref.name} (uid ${ref.uid})`;
}

/** A conflict when `live` exists and is not controlled by this CR; undefined when applying is safe. */
export function conflictOf(
  cbd: ChatbotDeployment,
  resource: ResourceKind,
  live: KubeObject | undefined,
): NameConflict | undefined {
  if (!live || controlledBy(live, cbd)) return undefined;
  return {
    kind: resource.kind,
    namespace: live.metadata.namespace ?? cbd.metadata.namespace ?? '',
    name: live.metadata.name ?? '',
    owner: describeOwner(live),
  };
}

/** `Service ns/x-redis (controlled by ChatbotDeployment x (uid ...))`. */
export function describeConflict(c: NameConflict): string {
  return `${c.kind} ${c.namespace}/${c.name} (controlled by ${c.owner})`;
}

export function conflictMessage(conflicts: readonly NameConflict[]): string {
  const shown = conflicts.slice(0, SHOWN).map(describeConflict).join('; ');
  const more = conflicts.length > SHOWN ? `; and ${conflicts.length - SHOWN} more` : '';
  return (
    `name conflict: ${shown}${more} already exists and is not controlled by this ChatbotDeployment, ` +
    'so the operator does not apply it; the bot Deployments are held until every child can be applied. ' +
    'Rename this ChatbotDeployment, or delete or rename that object.'
  );
}

/**
 * Status with Degraded=True/NameConflict and Ready=False/NameConflict. The conflict outranks whatever the
 * core observed (a crash-looping pod is not the reason the fleet is incomplete); lastTransitionTime moves
 * only when the status of a condition changes, as everywhere else.
 */
export function withNameConflict(
  status: ChatbotDeploymentStatus,
  cbd: ChatbotDeployment,
  conflicts: readonly NameConflict[],
  now: Date,
): ChatbotDeploymentStatus {
  if (conflicts.length === 0) return status;
  const message = conflictMessage(conflicts);
  const inputs: ConditionInput[] = [
    { type: 'Degraded', status: 'True', reason: ConditionReason.NameConflict, message },
    { type: 'Ready', status: 'False', reason: ConditionReason.NameConflict, message },
  ];
  const replaced = mergeConditions(cbd.status?.conditions, inputs, cbd.metadata.generation ?? 0, now);
  const conditions = (status.conditions ?? []).map((c) => replaced.find((r) => r.type === c.type) ?? c);
  return { ...status, conditions };
}

/**
 * Requeue delay while a conflict lasts: as long as it has lasted so far, from 2 s up to 30 s (the contested
 * object may go away). Time-based rather than per attempt, so the child events that wake a fleet many times
 * in its first second do not push the delay to the maximum at once.
 */
export function conflictBackoffMs(lastedMs: number): number {
  return Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_BASE_MS, lastedMs));
}
