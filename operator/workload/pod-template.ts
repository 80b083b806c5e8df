import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import { restrictedContainerSecurityContext } from '../kube/pod-security.js';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { IVolumeMount } from 'kubernetes-models/v1/VolumeMount';
import { MODEL_BUNDLE_DIR, RUNTIME_PORT, RUNTIME_UID } from './defaults.js';
import { childNames } from './labels.js';
import { shapeOf, trackEnv, trackSelector } from './tracks.js';
import type { Track, TrackRevision, TrackShape } from './tracks.js';
import type { ChatbotDeployment, EnvVar } from './types.js';

/**
 * The bot pod's spec (CONTRACT.md "Pod shape"): one container, a non-root read-only root filesystem,
 * the probes on the runtime's routes, the model bundle mount and zone spread. Pure, typed with the
 * kubernetes-models interfaces; operator/workload/desired.ts wraps it in a Deployment.
 */
export interface PodInputs {
  /** Env vars contributed by components (Redis/Kafka wiring), appended after the core env. */
  env: EnvVar[];
  track?: Track;
  revision?: TrackRevision;
  routingConfigMap?: string;
}

/** One env var from a Secret key (never the value itself), or none without a ref. */
export function secretEnv(name: string, ref: { name: string; key: string } | undefined): EnvVar[] {
  if (!ref) return [];
  return [{ name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } }];
}

/** Env set directly on the container: track identity, secrets, contributions, then user extras (which win). */
export function containerEnv(
  cbd: ChatbotDeployment,
  contributed: EnvVar[],
  inputs: Partial<Omit<PodInputs, 'env'>> = {},
): EnvVar[] {
  const { runtime } = cbd.spec;
  const ordered: EnvVar[] = [
    ...trackEnv(cbd, shapeOf(cbd, inputs)),
    ...secretEnv('LLM_API_KEY', runtime.llm?.apiKeySecretRef),
    ...secretEnv('AUTH_API_KEYS', runtime.auth?.apiKeysSecretRef),
    ...secretEnv('AUTH_JWT_SECRET', runtime.auth?.jwt?.secretRef),
    ...contributed,
    ...(runtime.env ?? []),
  ];
  return lastByName(ordered);
}

/** SSA treats env as a map keyed by name: a duplicate name would be rejected, so the last one wins. */
export function lastByName(env: readonly EnvVar[]): EnvVar[] {
  const byName = new Map<string, EnvVar>();
  for (const e of env) byName.set(e.name, e);
  return [...byName.values()];
}

/** The pod securityContext of every runtime pod (bots and workers): non-root, the runtime's uid. */
export function runtimePodSecurityContext(): NonNullable<IPodSpec['securityContext']> {
  return {
    runAsNonRoot: true,
    runAsUser: RUNTIME_UID,
    fsGroup: RUNTIME_UID,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** The runtime's probes on the named port (`http` on bots, `metrics` on workers; CONTRACT.md "Probes"). */
export function runtimeProbes(port = 'http'): { readinessProbe: IProbe; livenessProbe: IProbe } {
  return {
    readinessProbe: {
      httpGet: { path: '/readyz', port },
      periodSeconds: 5,
      timeoutSeconds: 2,
      failureThreshold: 3,
    },
    livenessProbe: {
      httpGet: { path: '/healthz', port },
      initialDelaySeconds: 10,
      periodSeconds: 10,
      timeoutSeconds: 2,
      failureThreshold: 3,
    },
  };
}

function volumes(shape: TrackShape): { volumes: IVolume[]; mounts: IVolumeMount[] } {
  // readOnlyRootFilesystem needs a writable /tmp for Node's own temp files.
  const vols: IVolume[] = [{ name: 'tmp', emptyDir: {} }];
  const mounts: IVolumeMount[] = [{ name: 'tmp', mountPath: '/tmp' }];
  const bundle = shape.revision.model.bundleConfigMap;
  if (bundle) {
    vols.push({ name: 'model-bundle', configMap: { name: bundle } });
    mounts.push({ name: 'model-bundle', mountPath: MODEL_BUNDLE_DIR, readOnly: true });
  }
  return { volumes: vols, mounts };
}

function botContainer(
  cbd: ChatbotDeployment,
  shape: TrackShape,
  env: EnvVar[],
  mounts: IVolumeMount[],
): IContainer {
  const { runtime } = cbd.spec;
  return {
    name: 'bot',
    image: shape.revision.image,
    imagePullPolicy: runtime.imagePullPolicy,
    ports: [{ name: 'http', containerPort: RUNTIME_PORT, protocol: 'TCP' }],
    envFrom: [{ configMapRef: { name: childNames.configMap(cbd) } }],
    env,
    // Spread into plain maps: the generated types name cpu and memory, Kubernetes takes any resource name.
    resources: { requests: { ...runtime.resources.requests }, limits: { ...runtime.resources.limits } },
    ...runtimeProbes(),
    // The preStop sleep keeps serving while endpoints drop the pod, before SIGTERM arrives.
    lifecycle: { preStop: { sleep: { seconds: runtime.drainSeconds } } },
    securityContext: restrictedContainerSecurityContext(RUNTIME_UID),
    volumeMounts: mounts,
  };
}

/**
 * spec.placement on a runtime pod (bots and workers): the zone spread counting only the pods
 * `matchLabels` selects (of the same revision, so a rollout is not skewed by old pods), the
 * nodeSelector and tolerations; a field is absent when the spec leaves it empty.
 */
export function placementFields(
  cbd: ChatbotDeployment,
  matchLabels: Record<string, string>,
): Pick<IPodSpec, 'topologySpreadConstraints' | 'nodeSelector' | 'tolerations'> {
  const { zoneSpread: zone, nodeSelector, tolerations } = cbd.spec.placement;
  const fields: Pick<IPodSpec, 'topologySpreadConstraints' | 'nodeSelector' | 'tolerations'> = {};
  if (zone.enabled) {
    fields.topologySpreadConstraints = [
      {
        topologyKey: 'topology.kubernetes.io/zone',
        maxSkew: zone.maxSkew,
        whenUnsatisfiable: zone.whenUnsatisfiable,
        labelSelector: { matchLabels },
        matchLabelKeys: ['pod-template-hash'],
      },
    ];
  }
  if (nodeSelector && Object.keys(nodeSelector).length > 0) fields.nodeSelector = nodeSelector;
  if (tolerations && tolerations.length > 0) fields.tolerations = tolerations;
  return fields;
}

export function podSpec(cbd: ChatbotDeployment, inputs: PodInputs, shape: TrackShape): IPodSpec {
  const { volumes: vols, mounts } = volumes(shape);
  const spec: IPodSpec = {
    serviceAccountName: childNames.serviceAccount(cbd),
    // The token's only grant is reading the routing ConfigMap (Role <name>-routing-reader).
    automountServiceAccountToken: shape.routingConfigMap !== undefined,
    terminationGracePeriodSeconds: cbd.spec.runtime.terminationGracePeriodSeconds,
    securityContext: runtimePodSecurityContext(),
    containers: [botContainer(cbd, shape, containerEnv(cbd, inputs.env, inputs), mounts)],
    volumes: vols,
  };
  return { ...spec, ...placementFields(cbd, trackSelector(cbd, shape.track)) };
}
