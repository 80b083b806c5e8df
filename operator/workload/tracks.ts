import type { ModelSpec } from '../api/index.js';
import { MODEL_BUNDLE_DIR } from './defaults.js';
import { childNames, crName, crNamespace, selectorLabels } from './labels.js';
import type { ChatbotDeployment, EnvVar, KubeObject } from './types.js';

/**
 * Tracks of a fleet during progressive delivery (issue 12, docs/rollouts.md): the stable track is the
 * Deployment `<name>` the fleet always had, the canary track the Deployment `<name>-canary` that exists only
 * during a rollout. Both are built by the same desired functions (desired.ts) with a track parameter. Pure.
 */
export type Track = 'stable' | 'canary';

export const LABEL_TRACK = 'chatfleet.io/track';

/** What differs between the two tracks' pod templates: the versioned part of the spec. */
export interface TrackRevision {
  /** Pod label chatfleet.io/model-version, env MODEL_VERSION, metric label model_version. */
  version: string;
  model: ModelSpec;
  image: string;
}

/** The revision the spec asks for now (what a fleet without rollouts runs). */
export function specRevision(cbd: ChatbotDeployment): TrackRevision {
  return { version: cbd.spec.model.version, model: cbd.spec.model, image: cbd.spec.runtime.image };
}

export const trackNames = {
  deployment: (cbd: ChatbotDeployment, track: Track): string =>
    track === 'stable' ? childNames.deployment(cbd) : `${crName(cbd)}-canary`,
  service: (cbd: ChatbotDeployment, track: Track): string => `${crName(cbd)}-${track}`,
  routingConfigMap: (cbd: ChatbotDeployment): string => `${crName(cbd)}-routing`,
  routingRole: (cbd: ChatbotDeployment): string => `${crName(cbd)}-routing-reader`,
};

/** Base URL of a track's Service, which the runtime forwards pinned turns to (CHATFLEET_*_URL). */
export function trackUrl(cbd: ChatbotDeployment, track: Track): string {
  return `http://${trackNames.service(cbd, track)}.${crNamespace(cbd)}.svc:80`;
}

/**
 * The Deployment selector of a track. Selectors are immutable, so the stable track keeps exactly the
 * selector every existing fleet already has (instance labels only): no migration, no re-creation of the
 * Deployment. That selector also matches canary pods, which is harmless: a ReplicaSet only adopts pods
 * without a controller ownerReference, and the canary pods are owned by the canary's ReplicaSet (verified
 * against the real API server in operator/rollout/integration). The canary's selector adds the track
 * label, so it never matches a stable pod.
 */
export function trackSelector(cbd: ChatbotDeployment, track: Track): Record<string, string> {
  return track === 'stable' ? selectorLabels(cbd) : { ...selectorLabels(cbd), [LABEL_TRACK]: 'canary' };
}

/** A pod's track; pods from before rollouts existed carry no track label and are stable. */
export function trackOf(pod: KubeObject): Track {
  return pod.metadata.labels?.[LABEL_TRACK] === 'canary' ? 'canary' : 'stable';
}

/** A track's shape as the desired functions use it (WorkloadInputs with defaults applied). */
export interface TrackShape {
  track: Track;
  revision: TrackRevision;
  routingConfigMap: string | undefined;
}

export function shapeOf(
  cbd: ChatbotDeployment,
  inputs: { track?: Track; revision?: TrackRevision; routingConfigMap?: string | undefined },
): TrackShape {
  return {
    track: inputs.track ?? 'stable',
    revision: inputs.revision ?? specRevision(cbd),
    routingConfigMap: inputs.routingConfigMap,
  };
}

/** The track's identity and routing env (docs/rollouts.md, the rollout contract). */
export function trackEnv(cbd: ChatbotDeployment, shape: TrackShape): EnvVar[] {
  const { model, version } = shape.revision;
  const env: EnvVar[] = [
    { name: 'MODEL_VERSION', value: version },
    { name: 'MODEL_NAME', value: model.name },
  ];
  if (model.bundleConfigMap) env.push({ name: 'MODEL_BUNDLE', value: `${MODEL_BUNDLE_DIR}/bundle.json` });
  env.push({ name: 'CHATFLEET_TRACK', value: shape.track });
  if (!shape.routingConfigMap) return env;
  return [
    ...env,
    { name: 'CHATFLEET_ROUTING_CONFIGMAP', value: shape.routingConfigMap },
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    { name: 'CHATFLEET_STABLE_URL', value: trackUrl(cbd, 'stable') },
    { name: 'CHATFLEET_CANARY_URL', value: trackUrl(cbd, 'canary') },
  ];
}

/** Below this stable share the canary's size is computed as if stable kept 5 % (avoids dividing by ~0). */
const MIN_STABLE_SHARE = 0.05;

/**
 * Replica counts of both tracks, composed explicitly (one owner of spec.replicas per Deployment):
 * - stable gets what the autoscaler decided, and the autoscaler sizes from the stable track's signals
 *   only (so a slow canary leads to a rollback, never to a scale-out);
 * - the canary gets capacity for its share of the load. Stable's N replicas carry (1 - share) of the load,
 *   so the whole fleet would need N / (1 - share) and the canary ceil(N x share / (1 - share)), at least 1
 *   while the share is above 0 and at most maxReplicas. Share 0 (no rollout, or aborted) scales it to 0.
 */
export function composeReplicas(input: { stable: number; canaryShare: number; maxReplicas: number }): {
  stable: number;
  canary: number;
} {
  const share = Math.min(1, Math.max(0, input.canaryShare));
  if (share === 0) return { stable: input.stable, canary: 0 };
  const wanted = Math.ceil((input.stable * share) / Math.max(1 - share, MIN_STABLE_SHARE) - 1e-9);
  return { stable: input.stable, canary: Math.min(input.maxReplicas, Math.max(1, wanted)) };
}
