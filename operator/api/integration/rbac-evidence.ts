// Every verb the operator's rules grant, tied to the code that sends it: [file, pattern] pairs that
// must all match. A grant with no entry here fails (remove it, or name its code); an entry whose code
// is gone fails too. `get` next to `list` is granted with it (it exposes nothing more; rbac.yaml),
// so its evidence is the informer. Sufficiency is proven separately: e2e/helm-install.test.ts runs
// the operator with only the chart's token until a fleet is Ready, with no request refused.
const CHILDREN = 'operator/controller/children.ts';
const APPLY: [string, RegExp] = [CHILDREN, /client\.apply\(desired, FIELD_MANAGER/];
const PRUNE: [string, RegExp] = [CHILDREN, /client\.delete\(p\.resource, ns, p\.name\)/];
const INFORMER = (kind: string): [string, RegExp] => [
  'operator/controller/fleet-wiring.ts',
  new RegExp(`make\\(\\s*Resources\\.${kind},`),
];
const PLANNED = (kind: string): [string, RegExp] => [
  'operator/controller/plan.ts',
  new RegExp(`Resources\\.${kind}\\b`),
];
const REDIS_CHILD: [string, RegExp] = [
  'operator/dataplane/redis/prune.ts',
  /\[Resources\.StatefulSet, Resources\.Service/,
];
export const EVIDENCE: Record<string, [string, RegExp][]> = {
  'chatbotdeployments:get': [
    ['operator/dataplane/kafka/claims.ts', /kube\.get<ChatbotDeployment>\(Resources\.ChatbotDeployment/],
  ],
  'chatbotdeployments:list': [INFORMER('ChatbotDeployment')],
  'chatbotdeployments:watch': [INFORMER('ChatbotDeployment')],
  'chatbotdeployments:patch': [
    [
      'operator/controller/reconciler.ts',
      /client\.apply\(obj, FIELD_MANAGER, \{ resource: Resources\.ChatbotDeployment \}\)/,
    ],
  ],
  'chatbotdeployments/status:patch': [
    ['operator/controller/reconciler.ts', /subresource: 'status', resource: Resources\.ChatbotDeployment/],
  ],
  // Sent by no code: the OwnerReferencesPermissionEnforcement admission plugin checks it for children
  // whose ownerReference has blockOwnerDeletion: true.
  'chatbotdeployments/finalizers:update': [['operator/controller/ownership.ts', /blockOwnerDeletion: true/]],
  'replicasets:get': [
    ['operator/autoscaler/sources/pod-ownership.ts', /kube\.get\(REPLICA_SET, namespace, name\)/],
  ],
  'pods:get': [INFORMER('Pod')],
  'pods:list': [INFORMER('Pod')],
  'pods:watch': [INFORMER('Pod')],
  'pods:delete': [
    ['operator/dataplane/redis/scheduled-cluster.ts', /kube\.delete\(Resources\.Pod, ns, pod\)/],
  ],
  'events:create': [['operator/kube/events.ts', /client\.create\(Resources\.Event, namespace, event\)/]],
  'secrets:get': [
    ['operator/dataplane/redis/password-secret.ts', /kube\.get<SecretObject>\(Resources\.Secret/],
  ],
  'secrets:list': [INFORMER('Secret')],
  'secrets:watch': [INFORMER('Secret')],
  'secrets:create': [
    ['operator/dataplane/redis/password-secret.ts', /kube\.create<SecretObject>\(Resources\.Secret/],
  ],
  'roles:get': [
    [CHILDREN, /client\.get\(p\.resource, ns, p\.name\)/],
    ['operator/rollout/children.ts', /RbacResources\.Role\b/],
  ],
  'roles:create': [APPLY, ['operator/rollout/children.ts', /RbacResources\.Role\b/]],
  'roles:patch': [APPLY, ['operator/rollout/children.ts', /RbacResources\.Role\b/]],
  'roles:delete': [PRUNE, ['operator/rollout/children.ts', /RbacResources\.Role\b/]],
  'rolebindings:get': [
    [CHILDREN, /client\.get\(p\.resource, ns, p\.name\)/],
    ['operator/rollout/children.ts', /RbacResources\.RoleBinding/],
  ],
  'rolebindings:create': [APPLY, ['operator/rollout/children.ts', /RbacResources\.RoleBinding/]],
  'rolebindings:patch': [APPLY, ['operator/rollout/children.ts', /RbacResources\.RoleBinding/]],
  'rolebindings:delete': [PRUNE, ['operator/rollout/children.ts', /RbacResources\.RoleBinding/]],
  'statefulsets:get': [INFORMER('StatefulSet')],
  'statefulsets:list': [INFORMER('StatefulSet')],
  'statefulsets:watch': [INFORMER('StatefulSet')],
  'statefulsets:create': [APPLY, REDIS_CHILD],
  'statefulsets:patch': [APPLY, REDIS_CHILD],
  'statefulsets:delete': [
    ['operator/dataplane/redis/prune.ts', /kube\.delete\(resource, ns, name\)/],
    REDIS_CHILD,
  ],
  // Kafka topic claims (ConfigMaps in the release namespace) besides the children below.
  'configmaps:delete': [PRUNE, ['operator/dataplane/kafka/claims.ts', /kube\.delete\(Resources\.ConfigMap/]],
};
for (const kind of ['Deployment', 'Service', 'ConfigMap', 'ServiceAccount', 'PodDisruptionBudget']) {
  const resource = {
    Deployment: 'deployments',
    Service: 'services',
    ConfigMap: 'configmaps',
    ServiceAccount: 'serviceaccounts',
    PodDisruptionBudget: 'poddisruptionbudgets',
  }[kind]!;
  for (const verb of ['get', 'list', 'watch']) EVIDENCE[`${resource}:${verb}`] = [INFORMER(kind)];
  for (const verb of ['create', 'patch']) EVIDENCE[`${resource}:${verb}`] = [APPLY, PLANNED(kind)];
  EVIDENCE[`${resource}:delete`] ??= [PRUNE, PLANNED(kind)];
}
