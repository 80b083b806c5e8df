// The Helm chart (charts/chatfleet) against helm and the real kube-apiserver of the test env:
// lint, render, server-side dry run in a namespace that enforces the restricted Pod Security
// Standard, and the RBAC it grants checked with `kubectl auth can-i`.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { expectRestrictedPod } from './helm-support.js';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { canI, cli, installCrd, kubeConfig, requireTestEnv, uniqueSuffix, type TestEnv } from './test-env.js';

const CHART = fileURLToPath(new URL('../../../charts/chatfleet', import.meta.url));

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
}

let env: TestEnv;
let helm: string;
const suffix = uniqueSuffix();
const namespace = `chart-${suffix}`;
const release = `cf-${suffix}`;
let rendered = '';
let manifests: Manifest[] = [];

beforeAll(async () => {
  env = requireTestEnv();
  if (!env.helm)
    throw new Error('HELM is not set: `source .testenv/env` (written by npm run testenv:up) first.');
  helm = env.helm;
  await installCrd(env, kubeConfig(env));
  const labels = [
    'pod-security.kubernetes.io/enforce=restricted',
    'pod-security.kubernetes.io/warn=restricted',
  ];
  await cli(env, env.kubectl, ['create', 'namespace', namespace]);
  await cli(env, env.kubectl, ['label', 'namespace', namespace, ...labels]);
  // Hooks (the uninstall Job and its RBAC) run only at uninstall: uninstall-hook.test.ts covers them.
  // crds.install=false: afterAll deletes what was rendered, and the CRD is shared by every test.
  // --kube-version: Chart.yaml's kubeVersion; the test env's helm (built from source) defaults to 1.20.
  const args = [
    'template',
    release,
    CHART,
    '--namespace',
    namespace,
    '--no-hooks',
    '--kube-version',
    '1.36.0',
  ];
  rendered = (await cli(env, helm, [...args, '--set', 'crds.install=false'])).stdout;
  manifests = parseAllDocuments(rendered)
    .map((d) => d.toJSON() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
});

afterAll(async () => {
  if (rendered) {
    const remove = ['delete', '--ignore-not-found', '--wait=false', '-f', '-'];
    await cli(env, env.kubectl, remove, rendered).catch(() => undefined);
  }
  await cli(env, env.kubectl, ['delete', 'namespace', namespace, '--wait=false']).catch(() => undefined);
});

describe('helm', () => {
  it('lints the chart strictly', async () => {
    const { stdout } = await cli(env, helm, ['lint', CHART, '--strict']);
    expect(stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
  });

  it('renders the operator Deployment, ServiceAccount, RBAC, metrics Service and PDB', () => {
    expect(manifests.map((m) => m.kind).sort()).toEqual(
      [
        'ClusterRole',
        'ClusterRoleBinding',
        'Deployment',
        'PodDisruptionBudget',
        'Role',
        'RoleBinding',
        'Service',
        'ServiceAccount',
      ].sort(),
    );
  });

  it('runs the operator with a restricted security context', () => {
    const deployment = manifests.find((m) => m.kind === 'Deployment')!;
    const pod = (deployment.spec as { template: { spec: Record<string, unknown> } }).template.spec as {
      securityContext: Record<string, unknown>;
      containers: { securityContext: Record<string, unknown> }[];
    };
    expectRestrictedPod(pod);
  });

  it('renders manifests the API server accepts (server-side dry run), without Pod Security warnings', async () => {
    const { stdout, stderr } = await cli(
      env,
      env.kubectl,
      ['apply', '--dry-run=server', '-f', '-'],
      rendered,
    );
    expect(stdout).toContain(`deployment.apps/${release}-chatfleet created (server dry run)`);
    expect(stdout.match(/\(server dry run\)/g)).toHaveLength(manifests.length);
    expect(stderr).not.toContain('PodSecurity');
  });
  // The CRD template (crds.install, crds.keep): helm-values.test.ts.
});

describe('the RBAC the chart grants (kubectl auth can-i as the operator ServiceAccount)', () => {
  const can = (...args: string[]): Promise<boolean> =>
    canI(env, `system:serviceaccount:${namespace}:${release}-chatfleet`, args);

  beforeAll(async () => {
    const rbac = manifests.filter((m) =>
      ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(m.kind),
    );
    const yaml = rbac.map((m) => JSON.stringify(m)).join('\n---\n');
    await cli(env, env.kubectl, ['apply', '-f', '-'], yaml);
  });

  it.each<[string, string[], boolean]>([
    ['can watch ChatbotDeployments everywhere', ['watch', 'chatbotdeployments.chatfleet.io', '-A'], true],
    [
      'can write ChatbotDeployment status',
      ['patch', 'chatbotdeployments.chatfleet.io', '--subresource=status', '-n', 'default'],
      true,
    ],
    ['can apply Deployments', ['patch', 'deployments.apps', '-n', 'default'], true],
    ['can create PodDisruptionBudgets', ['create', 'poddisruptionbudgets.policy', '-n', 'default'], true],
    ['can create events', ['create', 'events.events.k8s.io', '-n', 'default'], true],
    [
      'can update its own Lease',
      ['update', 'leases.coordination.k8s.io/chatfleet-operator', '-n', namespace],
      true,
    ],
    [
      'cannot update another Lease',
      ['update', 'leases.coordination.k8s.io/kube-scheduler', '-n', namespace],
      false,
    ],
    [
      'cannot take Leases in other namespaces',
      ['update', 'leases.coordination.k8s.io/chatfleet-operator', '-n', 'kube-system'],
      false,
    ],
    // The Redis Cluster roll deletes outdated Redis pods (rbac.yaml, rbac.dataPlane); it never creates any.
    ['deletes pods (Redis roll)', ['delete', 'pods', '-n', 'default'], true],
    ['cannot patch pods', ['patch', 'pods', '-n', 'default'], false],
    // Removed: no code patches or deletes a Secret (the Redis password Secret is created and read).
    ['creates Secrets (the Redis password)', ['create', 'secrets', '-n', 'default'], true],
    ['cannot patch Secrets', ['patch', 'secrets', '-n', 'default'], false],
    ['cannot delete Secrets', ['delete', 'secrets', '-n', 'default'], false],
    // The worker pool (operator/workers): its Deployment and PDB go when the spec no longer wants them.
    [
      'deletes Deployments (a finished canary, workers turned off)',
      ['delete', 'deployments.apps', '-n', 'default'],
      true,
    ],
    [
      'deletes PodDisruptionBudgets (the worker PDB)',
      ['delete', 'poddisruptionbudgets.policy', '-n', 'default'],
      true,
    ],
    // The worker PriorityClass is a chart template (workerPriorityClass.create), never the operator's.
    ['cannot create PriorityClasses', ['create', 'priorityclasses.scheduling.k8s.io'], false],
    ['cannot touch nodes', ['patch', 'nodes'], false],
    ['cannot change RBAC', ['create', 'clusterrolebindings.rbac.authorization.k8s.io'], false],
    ['cannot change CRDs', ['update', 'customresourcedefinitions.apiextensions.k8s.io'], false],
  ])('%s', async (_what, args, expected) => {
    expect(await can(...args)).toBe(expected);
  });
});
