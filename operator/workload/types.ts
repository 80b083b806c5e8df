/**
 * Types the operator core works with: the ChatbotDeployment API as served (generated from the
 * CRD, see operator/api) and the loose shape of the Kubernetes objects it builds or observes.
 */
import type { ChatbotDeploymentCondition } from '../api/index.js';

export type {
  ChatbotDeployment,
  ChatbotDeploymentSpec,
  ChatbotDeploymentStatus,
  EnvVar,
} from '../api/index.js';
export { API_GROUP_VERSION, KIND, PLURAL } from '../api/index.js';

export type Condition = ChatbotDeploymentCondition;

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  // client-node types these as Date although the wire carries RFC 3339 strings.
  deletionTimestamp?: string | Date;
  creationTimestamp?: string | Date;
  finalizers?: string[];
}

/** Any Kubernetes object as the core builds or observes it. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/**
 * The JSON of a kubernetes-models typed object (`new Deployment({...})`) as the core handles children:
 * `toJSON()` drops undefined fields, so server-side apply sends exactly the fields set.
 */
export function plainObject(model: { toJSON(): unknown }): KubeObject {
  const json = model.toJSON();
  if (!isKubeObject(json)) throw new Error('a child object must be an object with metadata');
  return json;
}

function isKubeObject(v: unknown): v is KubeObject {
  if (typeof v !== 'object' || v === null || !('metadata' in v)) return false;
  return typeof v.metadata === 'object' && v.metadata !== null;
}
