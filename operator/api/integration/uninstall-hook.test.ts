// The chart's pre-delete hook (templates/uninstall-hook.yaml) with the real helm binary and the
// real kube-apiserver: what it renders (and when not), that the API server accepts it in a namespace
// enforcing the restricted Pod Security Standard, and exactly what its ServiceAccount may do.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { expectRestrictedPod } from './helm-support.js';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { canI, cli, requireTestEnv, uniqueSuffix, type TestEnv } from './test-env.js';

const CHART = fileURLToPath(new URL('../../../charts/chatfleet', import.meta.url));

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

interface JobPod {
  restartPolicy: string;
  serviceAccountName: string;
  securityContext: Record<string, unknown>;
  containers: { args: string[]; image: string; securityContext: Record<string, unknown> }[];
}

let env: TestEnv;
let helm: string;
const suffix = uniqueSuffix();
const namespace = `h2del-hook-${suffix}`;
const release = `cf-${suffix}`;
const hookName = `${release}-chatfleet-uninstall`;
let hooks: Manifest[] = [];
let hooksYaml = '';

function parse(yaml: string): Manifest[] {
  return parseAllDocuments(yaml)
    .map((d) => d.toJSON() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

async function render(...set: string[]): Promise<Manifest[]> {
  // --kube-version: Chart.yaml's kubeVersion; the test env's helm (built from source) defaults to 1.20.
  const args = ['template', release, CHART, '--namespace', namespace, '--kube-version', '1.36.0'];
  args.push(...set.flatMap((s) => ['--set', s]));
  return parse((await cli(env, helm, args)).stdout);
}

const isHook = (m: Manifest): boolean => m.metadata.annotations?.['helm.sh/hook'] === 'pre-delete';

beforeAll(async () => {
  env = requireTestEnv();
  if (!env.helm) throw new Error('HELM is not set: `source .testenv/env` first.');
  helm = env.helm;
  await cli(env, env.kubectl, ['create', 'namespace', namespace]);
  await cli(env, env.kubectl, [
    'label',
    'namespace',
    namespace,
    'pod-security.kubernetes.io/enforce=restricted',
    'pod-security.kubernetes.io/warn=restricted',
  ]);
  hooks = (await render()).filter(isHook);
  hooksYaml = hooks.map((m) => JSON.stringify(m)).join('\n---\n');
});

afterAll(async () => {
  if (hooksYaml) {
    await cli(env, env.kubectl, ['delete', '--ignore-not-found', '--wait=false', '-f', '-'], hooksYaml).catch(
      () => undefined,
    );
  }
  await cli(env, env.kubectl, ['delete', 'namespace', namespace, '--wait=false']).catch(() => undefined);
});

describe('the uninstall hook as rendered', () => {
  it('is a pre-delete Job with its own ServiceAccount and RBAC, RBAC first, removed after success', () => {
    expect(hooks.map((m) => m.kind).sort()).toEqual(
      ['ClusterRole', 'ClusterRoleBinding', 'Job', 'Role', 'RoleBinding', 'ServiceAccount'].sort(),
    );
    for (const m of hooks) {
      expect(m.metadata.name).toBe(hookName);
      expect(m.metadata.annotations?.['helm.sh/hook-delete-policy']).toBe(
        'before-hook-creation,hook-succeeded',
      );
      expect(m.metadata.annotations?.['helm.sh/hook-weight']).toBe(m.kind === 'Job' ? '0' : '-10');
    }
  });

  it('runs release-finalizers from the operator image, bounded, restricted, under the hook ServiceAccount', async () => {
    const job = hooks.find((m) => m.kind === 'Job')!;
    const spec = job.spec as {
      activeDeadlineSeconds: number;
      backoffLimit: number;
      template: { spec: JobPod };
    };
    const pod = spec.template.spec;
    const operator = (await render()).find((m) => m.kind === 'Deployment')!;
    const operatorImage = (operator.spec as { template: { spec: JobPod } }).template.spec.containers[0]!
      .image;
    expect(pod.containers[0]!.image).toBe(operatorImage);
    expect(pod.containers[0]!.args).toEqual([
      'release-finalizers',
      `--operator-namespace=${namespace}`,
      `--operator-deployment=${release}-chatfleet`,
      '--watch-namespace=',
      '--timeout-seconds=120',
      '--log-level=info',
    ]);
    expect(spec.activeDeadlineSeconds).toBe(180);
    expect(spec.backoffLimit).toBe(1);
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.serviceAccountName).toBe(hookName);
    expectRestrictedPod(pod);
  });

  it('follows uninstall.timeoutSeconds and watchNamespace, and is not rendered when disabled', async () => {
    const job = (await render('uninstall.timeoutSeconds=30', 'watchNamespace=team-a')).find(
      (m) => m.kind === 'Job',
    )!;
    const spec = job.spec as { activeDeadlineSeconds: number; template: { spec: JobPod } };
    expect(spec.template.spec.containers[0]!.args).toContain('--timeout-seconds=30');
    expect(spec.template.spec.containers[0]!.args).toContain('--watch-namespace=team-a');
    expect(spec.activeDeadlineSeconds).toBe(90);
    expect((await render('uninstall.releaseFinalizers=false')).filter(isHook)).toEqual([]);
  });

  it('with rbac.create=false needs a ServiceAccount named for it, and creates no RBAC', async () => {
    await expect(render('rbac.create=false')).rejects.toMatchObject({
      stderr: expect.stringContaining('uninstall.serviceAccountName is required'),
    });
    const own = (await render('rbac.create=false', 'uninstall.serviceAccountName=my-hook')).filter(isHook);
    expect(own.map((m) => m.kind)).toEqual(['Job']);
    expect((own[0]!.spec as { template: { spec: JobPod } }).template.spec.serviceAccountName).toBe('my-hook');
  });

  it('is accepted by the API server without Pod Security warnings (server-side dry run)', async () => {
    const { stdout, stderr } = await cli(
      env,
      env.kubectl,
      ['apply', '--dry-run=server', '-f', '-'],
      hooksYaml,
    );
    expect(stdout).toContain(`job.batch/${hookName} created (server dry run)`);
    expect(stdout.match(/\(server dry run\)/g)).toHaveLength(hooks.length);
    expect(stderr).not.toContain('PodSecurity');
  });
});

describe('the hook ServiceAccount may do only what release-finalizers does (kubectl auth can-i)', () => {
  const can = (...args: string[]): Promise<boolean> =>
    canI(env, `system:serviceaccount:${namespace}:${hookName}`, args);

  beforeAll(async () => {
    const rbac = hooks.filter((m) => m.kind !== 'Job');
    await cli(env, env.kubectl, ['apply', '-f', '-'], rbac.map((m) => JSON.stringify(m)).join('\n---\n'));
  });

  it.each<[string, string[], boolean]>([
    ['lists ChatbotDeployments everywhere', ['list', 'chatbotdeployments.chatfleet.io', '-A'], true],
    [
      'patches ChatbotDeployments (finalizers)',
      ['patch', 'chatbotdeployments.chatfleet.io', '-n', 'default'],
      true,
    ],
    ['creates Events', ['create', 'events.events.k8s.io', '-n', 'default'], true],
    [
      'scales the operator Deployment',
      ['patch', `deployments.apps/${release}-chatfleet`, '--subresource=scale', '-n', namespace],
      true,
    ],
    ['lists pods in the release namespace', ['list', 'pods', '-n', namespace], true],
    // Not more.
    [
      'cannot delete ChatbotDeployments',
      ['delete', 'chatbotdeployments.chatfleet.io', '-n', 'default'],
      false,
    ],
    [
      'cannot write ChatbotDeployment status',
      ['patch', 'chatbotdeployments.chatfleet.io', '--subresource=status', '-n', 'default'],
      false,
    ],
    [
      'cannot scale another Deployment',
      ['patch', 'deployments.apps/other', '--subresource=scale', '-n', namespace],
      false,
    ],
    [
      'cannot patch the operator Deployment itself',
      ['patch', `deployments.apps/${release}-chatfleet`, '-n', namespace],
      false,
    ],
    ['cannot delete pods', ['delete', 'pods', '-n', namespace], false],
    ['cannot list pods elsewhere', ['list', 'pods', '-n', 'default'], false],
    ['cannot read Secrets', ['get', 'secrets', '-n', namespace], false],
  ])('%s', async (_what, args, expected) => {
    expect(await can(...args)).toBe(expected);
  });
});

describe('with watchNamespaces the hook holds Roles in the watched namespaces only (kubectl auth can-i)', () => {
  const watched = `h2del-hook-w-${suffix}`;
  const other = `h2del-hook-o-${suffix}`;
  let rbacYaml = '';
  const can = (...args: string[]): Promise<boolean> =>
    canI(env, `system:serviceaccount:${namespace}:${hookName}`, args);

  beforeAll(async () => {
    for (const ns of [watched, other]) await cli(env, env.kubectl, ['create', 'namespace', ns]);
    const rendered = (await render(`watchNamespaces={${watched},${namespace}}`)).filter(isHook);
    const rbac = rendered.filter((m) => m.kind !== 'Job' && m.kind !== 'ServiceAccount');
    expect(rbac.filter((m) => m.kind.startsWith('Cluster'))).toEqual([]);
    expect(rbac.map((m) => `${m.kind}/${m.metadata.namespace}`).sort()).toEqual(
      [`Role/${watched}`, `Role/${namespace}`, `RoleBinding/${watched}`, `RoleBinding/${namespace}`].sort(),
    );
    // The default install's hook RBAC (applied above) would allow everything cluster-wide: replace it.
    await cli(env, env.kubectl, ['delete', 'clusterrolebinding', hookName, '--ignore-not-found']);
    rbacYaml = rbac.map((m) => JSON.stringify(m)).join('\n---\n');
    await cli(env, env.kubectl, ['apply', '-f', '-'], rbacYaml);
  });

  afterAll(async () => {
    for (const ns of [watched, other])
      await cli(env, env.kubectl, ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
  });

  it.each<[string, string[], boolean]>([
    [
      'patches fleets in a watched namespace',
      ['patch', 'chatbotdeployments.chatfleet.io', '-n', watched],
      true,
    ],
    [
      'lists fleets in the watched release namespace',
      ['list', 'chatbotdeployments.chatfleet.io', '-n', namespace],
      true,
    ],
    ['creates Events in a watched namespace', ['create', 'events.events.k8s.io', '-n', watched], true],
    [
      'still scales the operator Deployment',
      ['patch', `deployments.apps/${release}-chatfleet`, '--subresource=scale', '-n', namespace],
      true,
    ],
    ['cannot list fleets cluster-wide', ['list', 'chatbotdeployments.chatfleet.io', '-A'], false],
    ['cannot patch fleets elsewhere', ['patch', 'chatbotdeployments.chatfleet.io', '-n', other], false],
    ['cannot create Events elsewhere', ['create', 'events.events.k8s.io', '-n', other], false],
  ])('%s', async (_what, args, expected) => {
    expect(await can(...args)).toBe(expected);
  });
});
