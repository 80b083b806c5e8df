import type { IObjectMeta } from '@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { ownerReferenceFor } from '../controller/ownership.js';
import { SERVICE_PORT } from './defaults.js';
import {
  ANNOTATION_CONFIG_HASH,
  LABEL_MODEL_VERSION,
  childLabels,
  childNames,
  crNamespace,
  podLabels,
  selectorLabels,
} from './labels.js';
import { podSpec } from './pod-template.js';
import type { PodInputs } from './pod-template.js';
import { configHash, runtimeConfigData } from './runtime-config.js';
import { LABEL_TRACK, shapeOf, trackNames, trackSelector } from './tracks.js';
import type { Track } from './tracks.js';
import type { ChatbotDeployment } from './types.js';

/**
 * Pure desired state of a fleet's children, built with the kubernetes-models typed classes (each
 * `.validate()`s against the Kubernetes OpenAPI schema in the unit tests). Every function builds a fresh
 * object holding exactly the fields the operator owns; server-side apply sends its `.toJSON()` (see
 * `plainObject`). No client, no clock, no I/O.
 */
export interface WorkloadInputs extends PodInputs {
  /** Deployment spec.replicas; owned by the autoscaler component once it is wired. */
  replicas: number;
  /**
   * The routing ConfigMap the pods watch (set while the rollout component runs): adds the routing env and
   * mounts the ServiceAccount token, whose only grant is reading that one ConfigMap.
   */
  routingConfigMap?: string;
  /** Pod template annotations contributed by components (e.g. the Redis password stamp). */
  podAnnotations?: Record<string, string>;
}

function meta(cbd: ChatbotDeployment, name: string): IObjectMeta {
  return {
    name,
    namespace: crNamespace(cbd),
    labels: childLabels(cbd),
    ownerReferences: [ownerReferenceFor(cbd)],
  };
}

export function desiredServiceAccount(cbd: ChatbotDeployment): ServiceAccount {
  return new ServiceAccount({
    metadata: meta(cbd, childNames.serviceAccount(cbd)),
    // The runtime never talks to the API server.
    automountServiceAccountToken: false,
  });
}

export function desiredConfigMap(cbd: ChatbotDeployment): ConfigMap {
  return new ConfigMap({
    metadata: meta(cbd, childNames.configMap(cbd)),
    data: runtimeConfigData(cbd),
  });
}

/** The Deployment of one track (the stable `<name>` by default, or the canary `<name>-canary`). */
export function desiredDeployment(cbd: ChatbotDeployment, inputs: WorkloadInputs): Deployment {
  const shape = shapeOf(cbd, inputs);
  const labels = {
    ...podLabels(cbd),
    [LABEL_MODEL_VERSION]: shape.revision.version,
    [LABEL_TRACK]: shape.track,
  };
  return new Deployment({
    metadata: meta(cbd, trackNames.deployment(cbd, shape.track)),
    spec: {
      replicas: inputs.replicas,
      revisionHistoryLimit: 3,
      selector: { matchLabels: trackSelector(cbd, shape.track) },
      // Never drop below the desired count during a rollout: a chat fleet sheds load otherwise.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } },
      template: {
        metadata: {
          labels,
          annotations: {
            ...inputs.podAnnotations,
            [ANNOTATION_CONFIG_HASH]: configHash(runtimeConfigData(cbd)),
          },
        },
        spec: podSpec(cbd, inputs, shape),
      },
    },
  });
}

/**
 * The fleet's Service `<name>` (both tracks: it selects on instance labels only), or with a track the
 * per-track Service `<name>-stable` / `<name>-canary` the runtime forwards pinned turns to.
 */
export function desiredService(cbd: ChatbotDeployment, track?: Track): Service {
  const name = track ? trackNames.service(cbd, track) : childNames.service(cbd);
  const selector = track ? { ...selectorLabels(cbd), [LABEL_TRACK]: track } : selectorLabels(cbd);
  return new Service({
    metadata: meta(cbd, name),
    spec: {
      type: 'ClusterIP',
      selector,
      // One port carries chat and /metrics (CONTRACT.md "Ports").
      ports: [{ name: 'http', port: SERVICE_PORT, targetPort: 'http', protocol: 'TCP' }],
    },
  });
}

/** The PDB, or undefined when disabled (the reconciler then deletes an existing one). */
export function desiredPodDisruptionBudget(cbd: ChatbotDeployment): PodDisruptionBudget | undefined {
  const pdb = cbd.spec.podDisruptionBudget;
  if (!pdb.enabled) return undefined;
  return new PodDisruptionBudget({
    metadata: meta(cbd, childNames.podDisruptionBudget(cbd)),
    spec: { maxUnavailable: pdb.maxUnavailable, selector: { matchLabels: selectorLabels(cbd) } },
  });
}
