import type { ChatbotDeployment, ChatbotDeploymentStatus, Condition, KubeObject } from './types.js';
import { selectorString } from './labels.js';
import { ConditionReason, ConditionType } from '../api/index.js';

/**
 * Pure status computation from the observed Deployment and pods. Condition reasons are constants
 * (CamelCase, API conventions); messages tell a person what to do next.
 */
export { ConditionType };

/** A condition before the merge that assigns lastTransitionTime and observedGeneration. */
export type ConditionInput = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

interface DeploymentLike {
  metadata?: { generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    unavailableReplicas?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

interface ContainerStatusLike {
  name?: string;
  restartCount?: number;
  state?: { waiting?: { reason?: string; message?: string } };
  lastState?: { terminated?: { exitCode?: number; reason?: string } };
}

interface PodLike {
  metadata?: { name?: string; deletionTimestamp?: string };
  status?: {
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: ContainerStatusLike[];
  };
}

export interface ObservedWorkload {
  deployment?: KubeObject;
  pods: KubeObject[];
  /** A failure applying children this reconcile (message shown in Degraded). */
  applyError?: string;
  /** Components that are not ready yet (e.g. Redis still provisioning) keep Ready False. */
  notReady?: { reason: string; message: string }[];
}

/** Rollout progress of the Deployment: complete only when fully available at its generation. */
export function deploymentComplete(d: DeploymentLike): boolean {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  const observed = (s.observedGeneration ?? -1) >= (d.metadata?.generation ?? 0);
  const counts = [s.updatedReplicas, s.replicas, s.availableReplicas, s.readyReplicas];
  return observed && counts.every((n) => (n ?? 0) === want);
}

function podName(p: PodLike): string {
  return p.metadata?.name ?? '<unknown>';
}

function unschedulable(p: PodLike): ConditionInput | undefined {
  const c = p.status?.conditions?.find((x) => x.type === 'PodScheduled' && x.status === 'False');
  if (c?.reason !== 'Unschedulable') return undefined;
  return {
    type: ConditionType.Degraded,
    status: 'True',
    reason: ConditionReason.Unschedulable,
    message:
      `pod ${podName(p)} cannot be scheduled: ${c.message ?? 'no node fits'}. ` +
      'Check node capacity, spec.placement (nodeSelector, tolerations, zoneSpread) and spec.runtime.resources.',
  };
}

const IMAGE_PULL = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
const CONFIG_ERRORS = new Set(['CreateContainerConfigError', 'CreateContainerError']);

function waitingProblem(p: PodLike, cs: ContainerStatusLike): ConditionInput | undefined {
  const w = cs.state?.waiting;
  if (!w?.reason) return undefined;
  const container = cs.name ?? 'bot';
  const where = `container ${container} in pod ${podName(p)}`;
  const detail = `${w.reason}: ${w.message ?? 'no detail'}`;
  if (IMAGE_PULL.has(w.reason)) {
    return degraded(
      ConditionReason.ImagePullFailed,
      `${where} cannot pull its image (${detail}). ` +
        'Check spec.runtime.image and that the registry is reachable with the pull credentials.',
    );
  }
  if (w.reason === 'CrashLoopBackOff') return crashLoop(p, cs, where, container);
  if (CONFIG_ERRORS.has(w.reason)) {
    return degraded(
      ConditionReason.ContainerConfigError,
      `${where} cannot start (${detail}). ` +
        'Check that the Secrets and ConfigMaps referenced in spec.runtime and spec.model exist.',
    );
  }
  return undefined;
}

function crashLoop(p: PodLike, cs: ContainerStatusLike, where: string, container: string): ConditionInput {
  const exit = cs.lastState?.terminated?.exitCode;
  const exitText = exit === undefined ? '' : `, last exit code ${exit}`;
  return degraded(
    ConditionReason.CrashLooping,
    `${where} is crash-looping (${cs.restartCount ?? 0} restarts${exitText}). ` +
      `Read its logs: kubectl logs ${podName(p)} -c ${container} --previous.`,
  );
}

function degraded(reason: string, message: string): ConditionInput {
  return { type: ConditionType.Degraded, status: 'True', reason, message };
}

/** The first actionable pod problem, in a stable order (pods sorted by name). */
export function podProblem(pods: PodLike[]): ConditionInput | undefined {
  const sorted = [...pods]
    .filter((p) => !p.metadata?.deletionTimestamp)
    .sort((a, b) => podName(a).localeCompare(podName(b)));
  for (const p of sorted) {
    const found =
      unschedulable(p) ??
      (p.status?.containerStatuses ?? []).map((cs) => waitingProblem(p, cs)).find((x) => x !== undefined);
    if (found) return found;
  }
  return undefined;
}

function deploymentProblem(d: DeploymentLike | undefined): ConditionInput | undefined {
  const conds = d?.status?.conditions ?? [];
  const failure = conds.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  if (failure) {
    return degraded(
      ConditionReason.ReplicaFailure,
      `the Deployment cannot create pods: ${failure.message ?? failure.reason ?? 'unknown'}. ` +
        'Check namespace quotas and Pod Security admission for this namespace.',
    );
  }
  const progress = conds.find((c) => c.type === 'Progressing' && c.status === 'False');
  if (progress?.reason === 'ProgressDeadlineExceeded') {
    return degraded(
      ConditionReason.ProgressDeadlineExceeded,
      `the rollout made no progress before its deadline: ${progress.message ?? ''}`.trim(),
    );
  }
  return undefined;
}

export function computeDegraded(observed: ObservedWorkload): ConditionInput {
  if (observed.applyError) {
    return degraded(ConditionReason.ReconcileFailed, `applying children failed: ${observed.applyError}`);
  }
  const deployment = observed.deployment as DeploymentLike | undefined;
  return (
    deploymentProblem(deployment) ??
    podProblem(observed.pods as PodLike[]) ?? {
      type: ConditionType.Degraded,
      status: 'False',
      reason: ConditionReason.AsExpected,
      message: 'no problem observed',
    }
  );
}

function replicaSummary(d: DeploymentLike): string {
  const s = d.status ?? {};
  return (
    `${s.availableReplicas ?? 0}/${d.spec?.replicas ?? 0} available, ` +
    `${s.updatedReplicas ?? 0} updated, ${s.replicas ?? 0} total`
  );
}

function readyAndProgressing(observed: ObservedWorkload): [ConditionInput, ConditionInput] {
  const d = observed.deployment as DeploymentLike | undefined;
  if (!d) {
    // Reconciling: the first apply is pending or failing (docs/operator.md, Status).
    const msg = 'the Deployment does not exist yet';
    return [
      { type: ConditionType.Ready, status: 'False', reason: ConditionReason.Reconciling, message: msg },
      {
        type: ConditionType.Progressing,
        status: 'True',
        reason: ConditionReason.ReplicasUpdating,
        message: msg,
      },
    ];
  }
  const summary = replicaSummary(d);
  if (!deploymentComplete(d)) {
    return [
      {
        type: ConditionType.Ready,
        status: 'False',
        reason: ConditionReason.ReplicasUpdating,
        message: summary,
      },
      {
        type: ConditionType.Progressing,
        status: 'True',
        reason: ConditionReason.ReplicasUpdating,
        message: summary,
      },
    ];
  }
  const blocker = observed.notReady?.[0];
  const ready: ConditionInput = blocker
    ? { type: ConditionType.Ready, status: 'False', reason: blocker.reason, message: blocker.message }
    : { type: ConditionType.Ready, status: 'True', reason: ConditionReason.Available, message: summary };
  return [
    ready,
    { type: ConditionType.Progressing, status: 'False', reason: ConditionReason.Complete, message: summary },
  ];
}

/**
 * Merges new condition inputs into the previous list: lastTransitionTime moves only when the
 * status of a type changes; every condition carries the generation it was computed from.
 * Conditions of other types (set by other components) are kept only if listed in `inputs`.
 */
export function mergeConditions(
  previous: Condition[] | undefined,
  inputs: ConditionInput[],
  generation: number,
  now: Date,
): Condition[] {
  return inputs.map((c) => {
    const prev = previous?.find((p) => p.type === c.type);
    const lastTransitionTime =
      prev?.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : rfc3339(now);
    return { ...c, lastTransitionTime, observedGeneration: generation };
  });
}

/** metav1.Time has second precision; sending milliseconds would never compare equal to the read-back. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface StatusInputs {
  cbd: ChatbotDeployment;
  observed: ObservedWorkload;
  /** Conditions and status fields contributed by other components. */
  extraConditions: ConditionInput[];
  extraFields: Record<string, unknown>;
  now: Date;
}

/** Core condition types a component may set while the core's own observation is settled (False). */
const OVERRIDABLE: readonly string[] = [ConditionType.Progressing, ConditionType.Degraded];
/** Standing warnings about the configuration: any component's real problem of the same type goes first. */
const WARNING_REASONS: readonly string[] = [ConditionReason.NoRedundancy];

/**
 * A component may report Progressing (a rollout in progress) or Degraded (a canary that cannot start)
 * for things the core does not observe. Its condition replaces the core's only while the core's is False:
 * a stable Deployment still rolling, or a pod problem the core sees, is reported as before. Ready is
 * never overridden (components hold it False with `notReady`).
 */
export function overlayCore(
  core: ConditionInput[],
  extra: ConditionInput[],
): [ConditionInput[], ConditionInput[]] {
  const replaced = core.map((c) => {
    const candidates = extra.filter((e) => e.type === c.type);
    const mine = candidates.find((e) => !WARNING_REASONS.includes(e.reason)) ?? candidates[0];
    return mine && OVERRIDABLE.includes(c.type) && c.status === 'False' ? mine : c;
  });
  const coreTypes = new Set(core.map((c) => c.type));
  return [replaced, extra.filter((e) => !coreTypes.has(e.type))];
}

export function computeStatus(input: StatusInputs): ChatbotDeploymentStatus {
  const { cbd, observed } = input;
  const generation = cbd.metadata.generation ?? 0;
  const [ready, progressing] = readyAndProgressing(observed);
  const [core, extra] = overlayCore([ready, progressing, computeDegraded(observed)], input.extraConditions);
  const d = observed.deployment as DeploymentLike | undefined;
  return {
    ...input.extraFields,
    observedGeneration: generation,
    replicas: d?.status?.replicas ?? 0,
    readyReplicas: d?.status?.readyReplicas ?? 0,
    updatedReplicas: d?.status?.updatedReplicas ?? 0,
    selector: selectorString(cbd),
    conditions: mergeConditions(cbd.status?.conditions, [...core, ...extra], generation, input.now),
  };
}
