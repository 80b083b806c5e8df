// The chart's values contract and its optional objects, with the real helm binary and the real
// kube-apiserver of the test env: values.schema.json refuses wrong types and unknown keys naming the
// value; the CRD is a template (upgraded by `helm upgrade`, kept on uninstall); the ServiceMonitor and
// PodMonitor are valid against the Prometheus Operator's own CRDs (testenv/prometheus-operator-crds.sh);
// watchNamespaces turns the ClusterRole into a Role in the watched namespace.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { cli, installCrd, kubeConfig, requireTestEnv, uniqueSuffix, type TestEnv } from './test-env.js';

const CHART = fileURLToPath(new URL('../../../charts/chatfleet', import.meta.url));
const PROMETHEUS_CRDS = fileURLToPath(
  new URL('../../../testenv/prometheus-operator-crds.sh', import.meta.url),
);

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  rules?: { resources: string[]; verbs: string[] }[];
}

let env: TestEnv;
let helm: string;
const suffix = uniqueSuffix();
const namespace = `h7chart-${suffix}`;
const watched = `h7chart-w-${suffix}`;
const watched2 = `h7chart-v-${suffix}`;
const release = `h7-${suffix}`;

const parse = (yaml: string): Manifest[] =>
  parseAllDocuments(yaml)
    .map((d) => d.toJSON() as Manifest | null)
    .filter((m): m is Manifest => m !== null);

/** `helm template` with --set values; the kubeVersion of Chart.yaml needs an explicit --kube-version here. */
async function template(...set: string[]): Promise<string> {
  const args = [
    'template',
    release,
    CHART,
    '--namespace',
    namespace,
    '--kube-version',
    '1.36.0',
    '--no-hooks',
  ];
  args.push(...set.flatMap((s) => ['--set', s]));
  return (await cli(env, helm, args)).stdout;
}

/** The error helm prints for these values ('' when it renders). */
async function refusal(...set: string[]): Promise<string> {
  try {
    await template(...set);
    return '';
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
}

beforeAll(async () => {
  env = requireTestEnv();
  if (!env.helm) throw new Error('HELM is not set: `source .testenv/env` first.');
  helm = env.helm;
  await installCrd(env, kubeConfig(env));
  await cli(env, env.kubectl, ['create', 'namespace', namespace]);
  await cli(env, env.kubectl, ['create', 'namespace', watched]);
  await cli(env, env.kubectl, ['create', 'namespace', watched2]);
});

afterAll(async () => {
  for (const ns of [namespace, watched, watched2]) {
    await cli(env, env.kubectl, ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
  }
});

describe('values.schema.json', () => {
  it('keeps helm lint --strict clean, also with every optional object on', async () => {
    const on =
      'metrics.serviceMonitor.enabled=true,metrics.podMonitor.enabled=true,networkPolicy.enabled=true';
    for (const extra of [[], ['--set', on], ['--set', `watchNamespaces={${watched}}`]]) {
      const args = ['lint', CHART, '--strict', '--kube-version', '1.36.0', ...extra];
      const { stdout } = await cli(env, helm, args);
      expect(stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
      expect(stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
    }
  });

  it.each<[string, string, RegExp]>([
    ['a string for an integer', 'replicaCount=two', /at '\/replicaCount': got string, want integer/],
    ['an unknown key (typo)', 'rbac.creat=true', /at '\/rbac': additional properties 'creat' not allowed/],
    [
      'an unknown top-level key',
      'watchNamespaceList=a',
      /additional properties 'watchNamespaceList' not allowed/,
    ],
    ['a log level pino lacks', 'logLevel=verbose', /at '\/logLevel': value must be one of/],
    ['a port out of range', 'port=70000', /at '\/port': maximum/],
    [
      'a malformed scrape interval',
      'metrics.serviceMonitor.interval=soon',
      /at '\/metrics\/serviceMonitor\/interval'/,
    ],
    [
      'a non-string label (h6alerts block)',
      'prometheusRule.labels.team=1',
      /at '\/prometheusRule\/labels\/team': got number, want string/,
    ],
    [
      'an unknown key in dashboards',
      'dashboards.folder=x',
      /at '\/dashboards': additional properties 'folder' not allowed/,
    ],
    ['a boolean as a string', 'crds.keep=maybe', /at '\/crds\/keep': got string, want boolean/],
    ['an invalid namespace name', 'watchNamespaces={Team_A}', /at '\/watchNamespaces\/0'/],
  ])('refuses %s, naming the value', async (_what, set, message) => {
    const error = await refusal(set);
    expect(error).toContain("values don't meet the specifications of the schema");
    expect(error).toMatch(message);
  });

  it("accepts h6alerts' prometheusRule and dashboards blocks exactly", async () => {
    const args = [
      'prometheusRule.enabled=false',
      'prometheusRule.namespace=monitoring',
      'prometheusRule.labels.release=prom',
      'dashboards.enabled=false',
      'dashboards.namespace=grafana',
      'dashboards.labels.grafana_dashboard=chatfleet',
    ];
    expect(await refusal(...args)).toBe('');
  });

  it('refuses watchNamespaces together with the deprecated watchNamespace', async () => {
    expect(await refusal(`watchNamespaces={${watched}}`, 'watchNamespace=other')).toContain(
      'set watchNamespaces or the deprecated watchNamespace, not both',
    );
  });
});

describe('the CRD as a template (crds.install, crds.keep)', () => {
  it('renders the CRD from files/crds/ with helm.sh/resource-policy: keep, and the API server accepts it', async () => {
    const crds = parse(await template()).filter((m) => m.kind === 'CustomResourceDefinition');
    expect(crds.map((c) => c.metadata.name)).toEqual(['chatbotdeployments.chatfleet.io']);
    expect(crds[0]!.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
    const apply = ['apply', '--server-side', '--force-conflicts', '--dry-run=server', '-f', '-'];
    const { stdout } = await cli(env, env.kubectl, apply, JSON.stringify(crds[0]));
    expect(stdout).toContain('chatbotdeployments.chatfleet.io serverside-applied (server dry run)');
  });

  it('crds.keep=false drops the annotation; crds.install=false renders no CRD', async () => {
    const unkept = parse(await template('crds.keep=false')).find(
      (m) => m.kind === 'CustomResourceDefinition',
    );
    expect(unkept?.metadata.annotations).toBeUndefined();
    const kinds = parse(await template('crds.install=false')).map((m) => m.kind);
    expect(kinds).not.toContain('CustomResourceDefinition');
    expect(kinds).toContain('Deployment');
  });
});

describe('ServiceMonitor and PodMonitor against the Prometheus Operator CRDs', () => {
  let monitors: Manifest[] = [];

  beforeAll(async () => {
    const dir = (await promisify(execFile)('bash', [PROMETHEUS_CRDS], { maxBuffer: 1 << 20 })).stdout.trim();
    // Idempotent, never deleted: other tests (the PrometheusRule) share these CRDs.
    for (const kind of ['servicemonitors', 'podmonitors']) {
      const file = `${dir}/monitoring.coreos.com_${kind}.yaml`;
      await cli(env, env.kubectl, ['apply', '--server-side', '--force-conflicts', '-f', file]);
      await cli(env, env.kubectl, [
        'wait',
        '--for=condition=Established',
        `crd/${kind}.monitoring.coreos.com`,
        '--timeout=60s',
      ]);
    }
    const on = ['metrics.serviceMonitor.enabled=true', 'metrics.podMonitor.enabled=true'];
    monitors = parse(await template(...on, 'metrics.serviceMonitor.labels.release=prom')).filter((m) =>
      ['ServiceMonitor', 'PodMonitor'].includes(m.kind),
    );
  });

  it('are off by default', async () => {
    const kinds = parse(await template()).map((m) => m.kind);
    expect(kinds).not.toContain('ServiceMonitor');
    expect(kinds).not.toContain('PodMonitor');
  });

  it('are created by the real API server (validated against the CRD schemas)', async () => {
    expect(monitors.map((m) => m.kind).sort()).toEqual(['PodMonitor', 'ServiceMonitor']);
    const yaml = monitors.map((m) => JSON.stringify(m)).join('\n---\n');
    const { stdout } = await cli(env, env.kubectl, ['apply', '-f', '-'], yaml);
    expect(stdout).toContain(`servicemonitor.monitoring.coreos.com/${release}-chatfleet created`);
    expect(stdout).toContain(`podmonitor.monitoring.coreos.com/${release}-chatfleet-bots created`);
  });

  it('the API server does validate them: a malformed interval is refused', async () => {
    const pm = structuredClone(monitors.find((m) => m.kind === 'PodMonitor')!);
    pm.metadata.name = `${pm.metadata.name}-bad`;
    (pm.spec as { podMetricsEndpoints: { interval: string }[] }).podMetricsEndpoints[0]!.interval = 'soon';
    await expect(
      cli(env, env.kubectl, ['apply', '--dry-run=server', '-f', '-'], JSON.stringify(pm)),
    ).rejects.toMatchObject({
      stderr: expect.stringContaining('spec.podMetricsEndpoints[0].interval'),
    });
  });

  it('the ServiceMonitor selects the metrics Service; the PodMonitor every bot pod of the contract', async () => {
    const service = parse(await template()).find((m) => m.kind === 'Service')!;
    const sm = monitors.find((m) => m.kind === 'ServiceMonitor')!;
    const smSpec = sm.spec as {
      selector: { matchLabels: Record<string, string> };
      endpoints: { port: string }[];
    };
    const svcSpec = service.spec as { selector: Record<string, string>; ports: { name: string }[] };
    expect(smSpec.selector.matchLabels).toEqual(svcSpec.selector);
    expect(svcSpec.ports.map((p) => p.name)).toContain(smSpec.endpoints[0]!.port);
    // Per-fleet series keep their own namespace/name labels (the alerts group by them).
    expect(smSpec.endpoints[0]).toMatchObject({ path: '/metrics', honorLabels: true, interval: '30s' });
    const pm = monitors.find((m) => m.kind === 'PodMonitor')!.spec as Record<string, unknown>;
    // CONTRACT.md: every bot pod carries these labels and serves /metrics on the port named http.
    expect(pm).toMatchObject({
      selector: {
        matchLabels: {
          'app.kubernetes.io/name': 'chatbot',
          'app.kubernetes.io/managed-by': 'chatfleet-operator',
        },
      },
      namespaceSelector: { any: true },
      podMetricsEndpoints: [{ port: 'http', path: '/metrics', interval: '15s' }],
    });
    const scoped = parse(await template('metrics.podMonitor.enabled=true', `watchNamespaces={${watched}}`));
    expect(scoped.find((m) => m.kind === 'PodMonitor')!.spec).toMatchObject({
      namespaceSelector: { matchNames: [watched] },
    });
  });

  it('a ServiceMonitor without the metrics Service is refused with a message', async () => {
    const error = await refusal('metrics.serviceMonitor.enabled=true', 'metrics.service.enabled=false');
    expect(error).toContain('metrics.serviceMonitor.enabled needs metrics.service.enabled');
  });
});

describe('watchNamespaces: a Role per watched namespace, nothing cluster-wide', () => {
  const both = `watchNamespaces={${watched},${watched2}}`;
  const can = async (...args: string[]): Promise<boolean> => {
    const as = `--as=system:serviceaccount:${namespace}:${release}-chatfleet`;
    try {
      return (await cli(env, env.kubectl, ['auth', 'can-i', as, ...args])).stdout.trim() === 'yes';
    } catch {
      return false; // can-i exits 1 for "no"
    }
  };

  beforeAll(async () => {
    const rbac = parse(await template(both, 'crds.install=false')).filter((m) =>
      ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(m.kind),
    );
    expect(rbac.filter((m) => m.kind.startsWith('Cluster'))).toEqual([]);
    const roles = rbac.filter((m) => m.kind === 'Role' && m.metadata.name === `${release}-chatfleet`);
    expect(roles.map((r) => r.metadata.namespace).sort()).toEqual([watched, watched2].sort());
    await cli(env, env.kubectl, ['apply', '-f', '-'], rbac.map((m) => JSON.stringify(m)).join('\n---\n'));
  });

  it('passes the namespaces comma-separated in WATCH_NAMESPACE, and to the uninstall hook', async () => {
    const args = ['template', release, CHART, '-n', namespace, '--kube-version', '1.36.0', '--set', both];
    const all = parse((await cli(env, helm, args)).stdout);
    const deployment = all.find((m) => m.kind === 'Deployment')!;
    const env0 = (
      deployment.spec as { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } }
    ).template.spec.containers[0]!.env;
    expect(env0.find((e) => e.name === 'WATCH_NAMESPACE')?.value).toBe(`${watched},${watched2}`);
    const job = all.find((m) => m.kind === 'Job')!;
    const jobArgs = (job.spec as { template: { spec: { containers: { args: string[] }[] } } }).template.spec
      .containers[0]!.args;
    expect(jobArgs).toContain(`--watch-namespace=${watched},${watched2}`);
  });

  it.each<[string, string[], boolean]>([
    [
      'watches fleets in the watched namespace',
      ['watch', 'chatbotdeployments.chatfleet.io', '-n', watched],
      true,
    ],
    ['applies Deployments there', ['create', 'deployments.apps', '-n', watched], true],
    ['creates the Redis password Secret there', ['create', 'secrets', '-n', watched], true],
    ['reads Secrets there', ['get', 'secrets', '-n', watched], true],
    ['writes topic claims in the release namespace', ['create', 'configmaps', '-n', namespace], true],
    [
      'keeps its Lease in the release namespace',
      ['update', 'leases.coordination.k8s.io/chatfleet-operator', '-n', namespace],
      true,
    ],
    ['cannot watch fleets cluster-wide', ['watch', 'chatbotdeployments.chatfleet.io', '-A'], false],
    ['cannot read Secrets elsewhere', ['get', 'secrets', '-n', 'default'], false],
    ['cannot apply Deployments elsewhere', ['patch', 'deployments.apps', '-n', 'default'], false],
    ['cannot delete Secrets (no code does: removed)', ['delete', 'secrets', '-n', watched], false],
    ['cannot patch Secrets (no code does: removed)', ['patch', 'secrets', '-n', watched], false],
  ])('%s', async (_what, args, expected) => {
    expect(await can(...args)).toBe(expected);
  });
});

describe('operator pods: probes, topology spread, NetworkPolicy, helm test Pod', () => {
  interface PodSpec {
    topologySpreadConstraints?: { topologyKey: string; whenUnsatisfiable: string; labelSelector?: unknown }[];
    containers: { livenessProbe: Record<string, unknown>; readinessProbe: Record<string, unknown> }[];
  }
  const podSpec = (ms: Manifest[]): PodSpec =>
    (ms.find((m) => m.kind === 'Deployment')!.spec as { template: { spec: PodSpec } }).template.spec;

  it('spreads over zones and hosts (ScheduleAnyway) with the operator selector; [] turns it off', async () => {
    const spread = podSpec(parse(await template())).topologySpreadConstraints!;
    expect(spread.map((c) => [c.topologyKey, c.whenUnsatisfiable])).toEqual([
      ['topology.kubernetes.io/zone', 'ScheduleAnyway'],
      ['kubernetes.io/hostname', 'ScheduleAnyway'],
    ]);
    expect(spread[0]!.labelSelector).toEqual({
      matchLabels: {
        'app.kubernetes.io/name': 'chatfleet',
        'app.kubernetes.io/instance': release,
        'app.kubernetes.io/component': 'operator',
      },
    });
    const off = ['--set-json', 'topologySpreadConstraints=[]'];
    const args = ['template', release, CHART, '-n', namespace, '--kube-version', '1.36.0', ...off];
    expect(podSpec(parse((await cli(env, helm, args)).stdout)).topologySpreadConstraints).toBeUndefined();
  });

  it('takes probe overrides from values', async () => {
    const c = podSpec(
      parse(await template('livenessProbe.periodSeconds=30', 'readinessProbe.failureThreshold=7')),
    ).containers[0]!;
    expect(c.livenessProbe).toMatchObject({ httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 30 });
    expect(c.readinessProbe).toMatchObject({
      httpGet: { path: '/readyz', port: 'http' },
      failureThreshold: 7,
    });
  });

  it('the NetworkPolicy and the helm test Pod pass a server-side dry run in a restricted namespace', async () => {
    const restricted = [
      'pod-security.kubernetes.io/enforce=restricted',
      'pod-security.kubernetes.io/warn=restricted',
    ];
    await cli(env, env.kubectl, ['label', 'namespace', namespace, '--overwrite', ...restricted]);
    const args = ['template', release, CHART, '-n', namespace, '--kube-version', '1.36.0'];
    const all = parse((await cli(env, helm, [...args, '--set', 'networkPolicy.enabled=true'])).stdout);
    const picked = all.filter(
      (m) =>
        m.kind === 'NetworkPolicy' ||
        (m.kind === 'Pod' && m.metadata.annotations?.['helm.sh/hook'] === 'test'),
    );
    expect(picked.map((m) => m.kind).sort()).toEqual(['NetworkPolicy', 'Pod']);
    const yaml = picked.map((m) => JSON.stringify(m)).join('\n---\n');
    const { stdout, stderr } = await cli(env, env.kubectl, ['apply', '--dry-run=server', '-f', '-'], yaml);
    expect(stdout.match(/\(server dry run\)/g)).toHaveLength(2);
    expect(stderr).not.toContain('PodSecurity');
  });
});

// Every verb the operator's rules grant, tied to the code that sends it: [file, pattern] pairs that
// must all match. A grant with no entry here fails (remove it, or name its code); an entry whose code
// is gone fails too. `get` next to `list` is granted with it (it exposes nothing more; rbac.yaml),
// so its evidence is the informer. Sufficiency is proven separately: e2e/helm-install.test.ts runs
// the operator with only the chart's token until a fleet is Ready, with no request refused.
const CHILDREN = 'operator/controller/children.ts';
const APPLY: [string, RegExp] = [CHILDREN, /client\.apply\(desired, FIELD_MANAGER/];
const PRUNE: [string, RegExp] = [CHILDREN, /client\.delete\(p\.resource, ns, p\.name\)/];
const INFORMER = (kind: string): [string, RegExp] => [
  'operator/controller/manager.ts',
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
const EVIDENCE: Record<string, [string, RegExp][]> = {
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
  'chatbotdeployments/finalizers:update': [['operator/workload/labels.ts', /blockOwnerDeletion: true/]],
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

describe('every permission the operator holds is one its code uses', () => {
  let granted: string[] = [];

  beforeAll(async () => {
    const role = parse(await template('crds.install=false')).find(
      (m) => m.kind === 'ClusterRole' && m.metadata.name === `${release}-chatfleet`,
    )!;
    granted = (role.rules ?? []).flatMap((r) =>
      r.resources.flatMap((res) => r.verbs.map((v) => `${res}:${v}`)),
    );
  });

  it('has code evidence for each granted verb, and grants nothing without it', () => {
    expect(granted.length).toBeGreaterThan(40);
    expect([...new Set(granted)].filter((g) => !EVIDENCE[g])).toEqual([]);
    expect(Object.keys(EVIDENCE).filter((e) => !granted.includes(e))).toEqual([]);
  });

  it.each(Object.entries(EVIDENCE))('%s: the code that sends it exists', async (_grant, evidence) => {
    for (const [file, pattern] of evidence) {
      const source = await readFile(fileURLToPath(new URL(`../../../${file}`, import.meta.url)), 'utf8');
      expect({ file, found: pattern.test(source) }).toEqual({ file, found: true });
    }
  });
});
