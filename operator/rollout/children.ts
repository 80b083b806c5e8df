import type { OwnedChild } from '../controller/component.js';
import { Resources } from '../kube/resources.js';
import type { ResourceKind } from '../kube/resources.js';
import { ownerReferenceFor } from '../controller/ownership.js';
import { childLabels, childNames, crNamespace } from '../workload/labels.js';
import { trackNames } from '../workload/tracks.js';
import type { ChatbotDeployment, KubeObject } from '../workload/types.js';
import type { Routing } from './core/types.js';

/**
 * The rollout's own children, built fresh (pure): the routing ConfigMap `<name>-routing` every bot pod
 * watches (key routing.json, the contract's routing object) and the Role + RoleBinding that let the bot
 * pods' ServiceAccount read exactly that one ConfigMap (resourceNames) and nothing else.
 */
export const ROUTING_KEY = 'routing.json';

export const RbacResources = {
  Role: {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    plural: 'roles',
    kind: 'Role',
    namespaced: true,
  },
  RoleBinding: {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    plural: 'rolebindings',
    kind: 'RoleBinding',
    namespaced: true,
  },
} satisfies Record<string, ResourceKind>;

function meta(cbd: ChatbotDeployment, name: string): KubeObject['metadata'] {
  return {
    name,
    namespace: crNamespace(cbd),
    labels: childLabels(cbd),
    ownerReferences: [ownerReferenceFor(cbd)],
  };
}

export function routingConfigMap(cbd: ChatbotDeployment, routing: Routing): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(cbd, trackNames.routingConfigMap(cbd)),
    data: { [ROUTING_KEY]: JSON.stringify(routing) },
  };
}

export function routingRole(cbd: ChatbotDeployment): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: meta(cbd, trackNames.routingRole(cbd)),
    rules: [
      {
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: [trackNames.routingConfigMap(cbd)],
        verbs: ['get', 'list', 'watch'],
      },
    ],
  };
}

export function routingRoleBinding(cbd: ChatbotDeployment): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta(cbd, trackNames.routingRole(cbd)),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: trackNames.routingRole(cbd) },
    subjects: [{ kind: 'ServiceAccount', name: childNames.serviceAccount(cbd), namespace: crNamespace(cbd) }],
  };
}

/** The Role goes before its binding; the ConfigMap is read from the informer cache. */
export function rolloutChildren(cbd: ChatbotDeployment, routing: Routing): OwnedChild[] {
  return [
    { resource: Resources.ConfigMap, object: routingConfigMap(cbd, routing), cached: true },
    { resource: RbacResources.Role, object: routingRole(cbd) },
    { resource: RbacResources.RoleBinding, object: routingRoleBinding(cbd) },
  ];
}

/** The routing object the pods have now, from the cached ConfigMap; undefined when absent or unreadable. */
export function liveRouting(cm: KubeObject | undefined): Routing | undefined {
  const text = (cm?.data as Record<string, string> | undefined)?.[ROUTING_KEY];
  if (typeof text !== 'string' || text.length > 4096) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<Routing>;
    return typeof parsed.generation === 'number' ? (parsed as Routing) : undefined;
  } catch {
    return undefined;
  }
}
