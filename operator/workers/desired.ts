/**
 * The worker pool's desired objects: Deployment `<name>-worker` and, with minReplicas >= 2, its
 * PodDisruptionBudget. Built with the kubernetes-models typed classes like the bots' children
 * (operator/workload/desired.ts; `.validate()` in the tests); server-side apply sends `.toJSON()`.
 * PURE: the replica count and the image are inputs (the scaling decision, the stable track's image).
 */
import type { IObjectMeta } from '@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { ownerReferenceFor } from '../controller/ownership.js';
import { restrictedContainerSecurityContext } from '../kube/pod-security.js';
import { RUNTIME_UID } from '../workload/defaults.js';
import { ANNOTATION_CONFIG_HASH, childNames, crNamespace } from '../workload/labels.js';
import { placementFields, runtimePodSecurityContext, runtimeProbes } from '../workload/pod-template.js';
import { configHash, runtimeConfigData } from '../workload/runtime-config.js';
import type { ChatbotDeployment } from '../workload/types.js';
import { WORKER_PORT, workerEnv } from './env.js';
import { workerLabels, workerSelectorLabels } from './labels.js';
import { workerObjectName } from './names.js';

export interface WorkerInputs {
  /** spec.replicas: the lag-based scaling decision (the WorkersComponent is its only writer). */
  replicas: number;
  /** The stable track's image: during a rollout the workers keep running what the stable bots run. */
  image: string;
  /** Pod template annotations taken from the stable bots' (the Redis password stamp): a change rolls the workers too. */
  podAnnotations?: Record<string, string>;
}

/** The container's argument that selects the worker mode (bot-runtime/main.ts reads argv[2]). */
export const WORKER_ARGS = ['worker'];
/** With fewer guaranteed pods a PDB would only block node drains without protecting anything. */
export const WORKER_PDB_MIN_REPLICAS = 2;

function meta(cbd: ChatbotDeployment): IObjectMeta {
  return {
    name: workerObjectName(cbd),
    namespace: crNamespace(cbd),
    labels: workerLabels(cbd),
    ownerReferences: [ownerReferenceFor(cbd)],
  };
}

function workerContainer(cbd: ChatbotDeployment, image: string): IContainer {
  const { runtime, workers } = cbd.spec;
  return {
    name: 'worker',
    image,
    imagePullPolicy: runtime.imagePullPolicy,
    args: WORKER_ARGS,
    ports: [{ name: 'metrics', containerPort: WORKER_PORT, protocol: 'TCP' }],
    envFrom: [{ configMapRef: { name: childNames.configMap(cbd) } }],
    env: workerEnv(cbd),
    resources: { requests: { ...workers.resources.requests }, limits: { ...workers.resources.limits } },
    ...runtimeProbes('metrics'),
    securityContext: restrictedContainerSecurityContext(RUNTIME_UID),
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
  };
}

function workerPodSpec(cbd: ChatbotDeployment, image: string): IPodSpec {
  const { workers } = cbd.spec;
  const spec: IPodSpec = {
    serviceAccountName: childNames.serviceAccount(cbd),
    // The worker never talks to the API server.
    automountServiceAccountToken: false,
    terminationGracePeriodSeconds: cbd.spec.runtime.terminationGracePeriodSeconds,
    securityContext: runtimePodSecurityContext(),
    containers: [workerContainer(cbd, image)],
    // readOnlyRootFilesystem needs a writable /tmp for Node's own temp files.
    volumes: [{ name: 'tmp', emptyDir: {} }],
  };
  // The bots' placement, the zone spread counting worker pods only; priorityClassName after the spread.
  const { topologySpreadConstraints, ...nodePlacement } = placementFields(cbd, workerSelectorLabels(cbd));
  if (topologySpreadConstraints) spec.topologySpreadConstraints = topologySpreadConstraints;
  if (workers.priorityClassName) spec.priorityClassName = workers.priorityClassName;
  return { ...spec, ...nodePlacement };
}

export function desiredWorkerDeployment(cbd: ChatbotDeployment, inputs: WorkerInputs): Deployment {
  return new Deployment({
    metadata: meta(cbd),
    spec: {
      replicas: inputs.replicas,
      revisionHistoryLimit: 3,
      selector: { matchLabels: workerSelectorLabels(cbd) },
      template: {
        metadata: {
          labels: workerLabels(cbd),
          // The worker reads the runtime ConfigMap too: a change there rolls the workers as it rolls the bots.
          annotations: {
            ...inputs.podAnnotations,
            [ANNOTATION_CONFIG_HASH]: configHash(runtimeConfigData(cbd)),
          },
        },
        spec: workerPodSpec(cbd, inputs.image),
      },
    },
  });
}

/** The PDB, or undefined below WORKER_PDB_MIN_REPLICAS (an existing one is then deleted). */
export function desiredWorkerPodDisruptionBudget(cbd: ChatbotDeployment): PodDisruptionBudget | undefined {
  if (cbd.spec.workers.minReplicas < WORKER_PDB_MIN_REPLICAS) return undefined;
  return new PodDisruptionBudget({
    metadata: meta(cbd),
    spec: { maxUnavailable: 1, selector: { matchLabels: workerSelectorLabels(cbd) } },
  });
}
