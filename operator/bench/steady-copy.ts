import type { KubeClient } from '../kube/client.js';
import { Resources } from '../kube/resources.js';
import type { ResourceKind } from '../kube/resources.js';
import { RbacResources } from '../rollout/children.js';
import { FIELD_MANAGER, LABEL_MANAGED_BY } from '../workload/labels.js';
import type { KubeObject } from '../workload/types.js';
import { appliedBy } from './managed-fields.js';

/** Every kind the operator may own in a fleet without Kafka (the bench's fleets have none). */
const CHILD_KINDS: ResourceKind[] = [
  Resources.ServiceAccount,
  Resources.ConfigMap,
  Resources.Service,
  Resources.PodDisruptionBudget,
  Resources.Secret,
  Resources.StatefulSet,
  RbacResources.Role,
  RbacResources.RoleBinding,
  Resources.Deployment,
];

export interface FleetCopy {
  name: string;
  /** Applied in parallel, as the reconciler applies every child but the Deployments. */
  children: { resource: ResourceKind; object: KubeObject }[];
  /** Applied after the others, as the reconciler does. */
  deployments: KubeObject[];
  /** The CR's status as the operator applied it. */
  status: Record<string, unknown>;
}

/** The operator's steady end state in `from`, fleet by fleet, as objects for namespace `to`. */
export async function copySteadyState(client: KubeClient, from: string, to: string): Promise<FleetCopy[]> {
  const fleets = new Map<string, FleetCopy>();
  const crs = await client.list<KubeObject>(Resources.ChatbotDeployment, from);
  for (const cr of crs.items) {
    const name = cr.metadata.name ?? '';
    const status = (appliedBy(cr, FIELD_MANAGER, 'status').status ?? {}) as Record<string, unknown>;
    fleets.set(name, { name, children: [], deployments: [], status });
  }
  for (const resource of CHILD_KINDS) {
    const list = await client.list<KubeObject>(resource, from, {
      labelSelector: `${LABEL_MANAGED_BY}=${FIELD_MANAGER}`,
    });
    for (const live of list.items) addChild(fleets, live, resource, { from, to });
  }
  return [...fleets.values()];
}

function addChild(
  fleets: Map<string, FleetCopy>,
  live: KubeObject,
  resource: ResourceKind,
  ns: { from: string; to: string },
): void {
  const owner = live.metadata.ownerReferences?.find((r) => r.controller)?.name;
  const fleet = fleets.get(owner ?? '');
  if (!fleet) return;
  const object = retarget(appliedBy(live, FIELD_MANAGER), live.metadata.name ?? '', resource, ns);
  if (resource === Resources.Deployment) fleet.deployments.push(object);
  else fleet.children.push({ resource, object });
}

/**
 * The applied fields as an object of namespace `to` (its owner's uid is set when the CR exists). The
 * name is the live one: managedFields do not track apiVersion, kind and name.
 */
function retarget(
  applied: Record<string, unknown>,
  name: string,
  r: ResourceKind,
  { from, to }: { from: string; to: string },
): KubeObject {
  const text = JSON.stringify(applied).split(`"${from}"`).join(`"${to}"`);
  const obj = JSON.parse(text) as KubeObject;
  obj.apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
  obj.kind = r.kind;
  obj.metadata = { ...obj.metadata, name, namespace: to };
  return obj;
}

/** The copy's owner references point at the baseline's own CR (uid known once it is created). */
export function ownedBy(obj: KubeObject, uid: string): KubeObject {
  const refs = obj.metadata.ownerReferences?.map((r) => ({ ...r, uid }));
  return { ...obj, metadata: { ...obj.metadata, ...(refs ? { ownerReferences: refs } : {}) } };
}
