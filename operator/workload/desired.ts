import { createHash } from 'node:crypto';
import {
  ANNOTATION_CONFIG_HASH,
  LABEL_MODEL_VERSION,
  childLabels,
  childNames,
  crName,
  crNamespace,
  podLabels,
  selectorLabels,
} from './labels.js';
import { MODEL_BUNDLE_DIR, RUNTIME_PORT, RUNTIME_UID, SERVICE_PORT, shutdownBudgets } from './defaults.js';
import { LABEL_TRACK, shapeOf, trackEnv, trackNames, trackSelector } from './tracks.js';
import type { Track, TrackRevision, TrackShape } from './tracks.js';
import type { ChatbotDeployment, EnvVar, KubeObject } from './types.js';
import { ownerReferenceFor } from '../controller/ownership.js';

/**
 * Pure desired state of a fleet's children. Every function here builds a fresh object holding
 * exactly the fields the operator owns (server-side apply sends it as is), from the CR and what
 * other components contributed. No client, no clock, no I/O.
 */
export interface WorkloadInputs {
  /** Deployment spec.replicas; owned by the autoscaler component once it is wired. */
  replicas: number;
  /** Env vars contributed by components (Redis/Kafka wiring), appended after the core env. */
  env: EnvVar[];
  /** The track this Deployment is (default stable: the Deployment `<name>`). */
  track?: Track;
  /** The versioned part of the pod template (default: spec.model and spec.runtime.image). */
  revision?: TrackRevision;
  /**
   * The routing ConfigMap the pods watch (set while the rollout component runs): adds the routing env and
   * mounts the ServiceAccount token, whose only grant is reading that one ConfigMap.
   */
  routingConfigMap?: string;
  /** Pod template annotations contributed by components (e.g. the Redis password stamp). */
  podAnnotations?: Record<string, string>;
}

function meta(cr: ChatbotDeployment, name: string): KubeObject['metadata'] {
  return {
    name,
    namespace: crNamespace(cr),
    labels: childLabels(cr),
    ownerReferences: [ownerReferenceFor(cr)],
  };
}

export function desiredServiceAccount(cr: ChatbotDeployment): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta(cr, childNames.serviceAccount(cr)),
    // The runtime never talks to the API server.
    automountServiceAccountToken: false,
  };
}

/**
 * Non-secret runtime configuration shared by both tracks, consumed by the pods with envFrom. What differs
 * between tracks (MODEL_NAME, MODEL_VERSION, MODEL_BUNDLE) is set directly on the container instead.
 */
export function runtimeConfigData(cr: ChatbotDeployment): Record<string, string> {
  const { runtime, sessions } = cr.spec;
  const shutdown = shutdownBudgets(cr.spec);
  const data: Record<string, string> = {
    PORT: String(RUNTIME_PORT),
    // every Redis key's prefix: fleets sharing one Redis never see each other's data
    FLEET_ID: `${crNamespace(cr)}/${crName(cr)}`,
    MAX_INFLIGHT: String(runtime.maxInflight),
    MAX_MESSAGE_BYTES: String(runtime.maxMessageBytes),
    RATE_LIMIT_PER_MINUTE: String(runtime.rateLimitPerMinute),
    SESSION_TTL_SECONDS: String(sessions.ttlSeconds),
    SESSION_MAX_TURNS: String(sessions.maxTurns),
    LOG_LEVEL: runtime.logLevel,
    DRAIN_TIMEOUT_MS: String(shutdown.drainMs),
    CLOSE_TIMEOUT_MS: String(shutdown.closeMs),
    EVENTS_FLUSH_TIMEOUT_MS: String(shutdown.flushMs),
    ...authConfigData(runtime.auth),
  };
  if (runtime.trustedProxies?.length) data.TRUSTED_PROXIES = runtime.trustedProxies.join(',');
  if (runtime.llm?.endpoint) data.LLM_ENDPOINT = runtime.llm.endpoint;
  if (runtime.llm?.model) data.LLM_MODEL = runtime.llm.model;
  return data;
}

/** The non-secret part of spec.runtime.auth.jwt (the HS256 secret comes from its Secret). */
function authConfigData(auth: ChatbotDeployment['spec']['runtime']['auth']): Record<string, string> {
  const jwt = auth?.jwt;
  if (!jwt) return {};
  return {
    ...(jwt.jwksUrl && { AUTH_JWKS_URL: jwt.jwksUrl }),
    ...(jwt.issuer && { AUTH_JWT_ISSUER: jwt.issuer }),
    ...(jwt.audiences?.length && { AUTH_JWT_AUDIENCE: jwt.audiences.join(',') }),
    AUTH_JWT_CLOCK_SKEW_SECONDS: String(jwt.clockSkewSeconds),
  };
}

export function desiredConfigMap(cr: ChatbotDeployment): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(cr, childNames.configMap(cr)),
    data: runtimeConfigData(cr),
  };
}

export function configHash(data: Record<string, string>): string {
  const sorted = Object.keys(data)
    .sort()
    .map((k) => [k, data[k]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 16);
}

function secretEnv(name: string, ref: { name: string; key: string } | undefined): EnvVar[] {
  if (!ref) return [];
  return [{ name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } }];
}

/** Env set directly on the container: track identity, secrets, contributions, then user extras (which win). */
export function containerEnv(
  cr: ChatbotDeployment,
  contributed: EnvVar[],
  inputs: Partial<WorkloadInputs> = {},
): EnvVar[] {
  const { runtime } = cr.spec;
  const ordered: EnvVar[] = [
    ...trackEnv(cr, shapeOf(cr, inputs)),
    ...secretEnv('LLM_API_KEY', runtime.llm?.apiKeySecretRef),
    ...secretEnv('AUTH_API_KEYS', runtime.auth?.apiKeysSecretRef),
    ...secretEnv('AUTH_JWT_SECRET', runtime.auth?.jwt?.secretRef),
    ...contributed,
    ...(runtime.env ?? []),
  ];
  // SSA treats env as a map keyed by name: a duplicate name would be rejected, so the last wins.
  const byName = new Map<string, EnvVar>();
  for (const e of ordered) byName.set(e.name, e);
  return [...byName.values()];
}

function securityContext(): Record<string, unknown> {
  return {
    runAsNonRoot: true,
    runAsUser: RUNTIME_UID,
    runAsGroup: RUNTIME_UID,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

function probes(): Record<string, unknown> {
  return {
    readinessProbe: {
      httpGet: { path: '/readyz', port: 'http' },
      periodSeconds: 5,
      timeoutSeconds: 2,
      failureThreshold: 3,
    },
    livenessProbe: {
      httpGet: { path: '/healthz', port: 'http' },
      initialDelaySeconds: 10,
      periodSeconds: 10,
      timeoutSeconds: 2,
      failureThreshold: 3,
    },
  };
}

function volumes(shape: TrackShape): { volumes: unknown[]; mounts: unknown[] } {
  // readOnlyRootFilesystem needs a writable /tmp for Node's own temp files.
  const vols: unknown[] = [{ name: 'tmp', emptyDir: {} }];
  const mounts: unknown[] = [{ name: 'tmp', mountPath: '/tmp' }];
  const bundle = shape.revision.model.bundleConfigMap;
  if (bundle) {
    vols.push({ name: 'model-bundle', configMap: { name: bundle } });
    mounts.push({ name: 'model-bundle', mountPath: MODEL_BUNDLE_DIR, readOnly: true });
  }
  return { volumes: vols, mounts };
}

function botContainer(
  cr: ChatbotDeployment,
  shape: TrackShape,
  env: EnvVar[],
  mounts: unknown[],
): Record<string, unknown> {
  const { runtime } = cr.spec;
  return {
    name: 'bot',
    image: shape.revision.image,
    imagePullPolicy: runtime.imagePullPolicy,
    ports: [{ name: 'http', containerPort: RUNTIME_PORT, protocol: 'TCP' }],
    envFrom: [{ configMapRef: { name: childNames.configMap(cr) } }],
    env,
    resources: runtime.resources,
    ...probes(),
    // The preStop sleep keeps serving while endpoints drop the pod, before SIGTERM arrives.
    lifecycle: { preStop: { sleep: { seconds: runtime.drainSeconds } } },
    securityContext: securityContext(),
    volumeMounts: mounts,
  };
}

function topologySpread(cr: ChatbotDeployment, track: Track): unknown[] {
  const zone = cr.spec.placement.zoneSpread;
  if (!zone.enabled) return [];
  return [
    {
      topologyKey: 'topology.kubernetes.io/zone',
      maxSkew: zone.maxSkew,
      whenUnsatisfiable: zone.whenUnsatisfiable,
      labelSelector: { matchLabels: trackSelector(cr, track) },
      // Count only pods of the same revision, so a rollout is not skewed by old pods.
      matchLabelKeys: ['pod-template-hash'],
    },
  ];
}

function podSpec(cr: ChatbotDeployment, inputs: WorkloadInputs, shape: TrackShape): Record<string, unknown> {
  const { volumes: vols, mounts } = volumes(shape);
  const placement = cr.spec.placement;
  const spec: Record<string, unknown> = {
    serviceAccountName: childNames.serviceAccount(cr),
    // The token's only grant is reading the routing ConfigMap (Role <name>-routing-reader).
    automountServiceAccountToken: shape.routingConfigMap !== undefined,
    terminationGracePeriodSeconds: cr.spec.runtime.terminationGracePeriodSeconds,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: RUNTIME_UID,
      fsGroup: RUNTIME_UID,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [botContainer(cr, shape, containerEnv(cr, inputs.env, inputs), mounts)],
    volumes: vols,
  };
  const spread = topologySpread(cr, shape.track);
  if (spread.length > 0) spec.topologySpreadConstraints = spread;
  if (placement.nodeSelector && Object.keys(placement.nodeSelector).length > 0) {
    spec.nodeSelector = placement.nodeSelector;
  }
  if (placement.tolerations && placement.tolerations.length > 0) spec.tolerations = placement.tolerations;
  return spec;
}

/** The Deployment of one track (the stable `<name>` by default, or the canary `<name>-canary`). */
export function desiredDeployment(cr: ChatbotDeployment, inputs: WorkloadInputs): KubeObject {
  const shape = shapeOf(cr, inputs);
  const labels = {
    ...podLabels(cr),
    [LABEL_MODEL_VERSION]: shape.revision.version,
    [LABEL_TRACK]: shape.track,
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(cr, trackNames.deployment(cr, shape.track)),
    spec: {
      replicas: inputs.replicas,
      revisionHistoryLimit: 3,
      selector: { matchLabels: trackSelector(cr, shape.track) },
      // Never drop below the desired count during a rollout: a chat fleet sheds load otherwise.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } },
      template: {
        metadata: {
          labels,
          annotations: {
            ...inputs.podAnnotations,
            [ANNOTATION_CONFIG_HASH]: configHash(runtimeConfigData(cr)),
          },
        },
        spec: podSpec(cr, inputs, shape),
      },
    },
  };
}

/**
 * The fleet's Service `<name>` (both tracks: it selects on instance labels only), or with a track the
 * per-track Service `<name>-stable` / `<name>-canary` the runtime forwards pinned turns to.
 */
export function desiredService(cr: ChatbotDeployment, track?: Track): KubeObject {
  const name = track ? trackNames.service(cr, track) : childNames.service(cr);
  const selector = track ? { ...selectorLabels(cr), [LABEL_TRACK]: track } : selectorLabels(cr);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(cr, name),
    spec: {
      type: 'ClusterIP',
      selector,
      // One port carries chat and /metrics (CONTRACT.md "Ports").
      ports: [{ name: 'http', port: SERVICE_PORT, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

/** The PDB, or undefined when disabled (the reconciler then deletes an existing one). */
export function desiredPodDisruptionBudget(cr: ChatbotDeployment): KubeObject | undefined {
  const pdb = cr.spec.podDisruptionBudget;
  if (!pdb.enabled) return undefined;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(cr, childNames.podDisruptionBudget(cr)),
    spec: { maxUnavailable: pdb.maxUnavailable, selector: { matchLabels: selectorLabels(cr) } },
  };
}
