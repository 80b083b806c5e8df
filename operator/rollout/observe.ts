import { ConditionType } from '../api/index.js';
import { LABEL_MODEL_VERSION } from '../workload/labels.js';
import { deploymentComplete } from '../workload/status.js';
import type { ConditionInput } from '../workload/status.js';
import { trackOf, type TrackRevision } from '../workload/tracks.js';
import type { ChatbotDeployment, KubeObject } from '../workload/types.js';
import { revisionFor } from './core/index.js';
import type { Revision, RolloutState, Target } from './core/types.js';

/**
 * Pure reading of what the rollout core needs from observed objects, and the mapping of its state to
 * status conditions. No client, no clock.
 */

/** The version a Deployment's pod template runs (its chatfleet.io/model-version label). */
export function templateVersion(d: KubeObject | undefined): string | undefined {
  const spec = d?.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined;
  return spec?.template?.metadata?.labels?.[LABEL_MODEL_VERSION];
}

function wantedReplicas(d: KubeObject): number {
  return (d.spec as { replicas?: number } | undefined)?.replicas ?? 1;
}

/** The Deployment exists, runs `revision` on every pod at its generation, all Ready, at least one wanted. */
export function trackRunning(d: KubeObject | undefined, revision: Revision | undefined): boolean {
  if (!d || !revision) return false;
  return templateVersion(d) === revision.version && wantedReplicas(d) >= 1 && deploymentComplete(d);
}

/**
 * No stable-track pod of another version is left, terminating ones included. A replaced pod keeps serving
 * through its preStop sleep and drain, and the Deployment's status no longer counts it; once the routing
 * says Promoted (no canary, stable = the new version) such a pod would answer turns of conversations pinned
 * to the new version with the old one, over HTTP and on its open WebSockets (seen on the real node:
 * e2e/real-node/rollout.test.ts). So a promotion completes only once the old pods are gone.
 */
export function onlyStablePodsOf(pods: KubeObject[], revision: Revision | undefined): boolean {
  if (!revision) return false;
  return pods.every(
    (p) => trackOf(p) !== 'stable' || p.metadata.labels?.[LABEL_MODEL_VERSION] === revision.version,
  );
}

/**
 * The revision a promotion would put on the stable Deployment: `observed.stableUpdated` is judged against
 * it. decide() reads stableUpdated only while Promoting, and may enter Promoting in the same call (an
 * action, the last step, strategy Immediate), so the answer must already be about the revision being
 * promoted: the one Promoting, else the canary, else a new target (Immediate or a first change). Judged
 * against the old stable revision, a promotion would look complete before any pod ran the new version.
 */
export function promotionTarget(state: RolloutState | undefined, target: Target): Revision {
  if (!state) return revisionFor(target, undefined);
  const newest = state.canary ?? state.stable;
  if (target.id === newest.id || target.id === state.stable.id) return newest;
  const base = state.phase === 'Promoting' && state.canary ? state.canary : state.stable;
  return revisionFor(target, base);
}

export function fleetReady(cbd: ChatbotDeployment): boolean {
  return (cbd.status?.conditions ?? []).some((c) => c.type === ConditionType.Ready && c.status === 'True');
}

/**
 * status.rollout as the core's state, or undefined when there is none or it is not one we wrote (no
 * phase or stable revision): the core then adopts the spec as stable.
 */
export function persistedState(cbd: ChatbotDeployment): RolloutState | undefined {
  const s = cbd.status?.rollout as Partial<RolloutState> | undefined;
  if (!s || typeof s.phase !== 'string' || typeof s.stable?.id !== 'string') return undefined;
  return {
    ...s,
    lastAnalysis: s.lastAnalysis ?? [],
    failedChecks: s.failedChecks ?? 0,
    currentStepIndex: s.currentStepIndex ?? 0,
    canaryWeight: s.canaryWeight ?? 0,
    routingGeneration: s.routingGeneration ?? 0,
  } as RolloutState;
}

export function toTrack(r: Revision): TrackRevision {
  return { version: r.version, model: r.model, image: r.image };
}

/** JSON as the API server stores it: no undefined members (status must compare equal to the read-back). */
export function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

const ACTIVE = new Set(['Progressing', 'Paused', 'Promoting']);

export function rolloutActive(state: RolloutState | undefined): boolean {
  return state !== undefined && ACTIVE.has(state.phase);
}

/**
 * Progressing while a rollout moves (True: Progressing/Promoting, Unknown: Paused), with the rollout's
 * reason; the core shows it while its own Progressing is False (the stable Deployment is settled).
 */
export function progressingCondition(state: RolloutState): ConditionInput | undefined {
  if (!rolloutActive(state)) return undefined;
  return {
    type: ConditionType.Progressing,
    status: state.phase === 'Paused' ? 'Unknown' : 'True',
    reason: state.reason,
    message: state.message.slice(0, 1024),
  };
}

/** Degraded while the canary's bundle ConfigMap is missing: its pods cannot start; stable is untouched. */
export function missingBundleCondition(cbd: ChatbotDeployment, bundle: string): ConditionInput {
  return {
    type: ConditionType.Degraded,
    status: 'True',
    reason: 'CanaryBundleMissing',
    message:
      `the canary's model bundle ConfigMap ${bundle} does not exist in namespace ${cbd.metadata.namespace ?? ''}; ` +
      'the stable track keeps serving. Create it, or set spec.model back to the stable version to abort.',
  };
}
