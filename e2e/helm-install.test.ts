// The Helm chart against the real kube-apiserver of the test environment, proving that the RBAC it
// grants is sufficient AND least-privilege:
// 1. `helm install` into a fresh namespace that enforces the restricted Pod Security Standard; the
//    operator Deployment is admitted and its pods become Ready (kwok nodes: no code really runs).
// 2. A token for the chart's ServiceAccount is minted (TokenRequest API) and the operator runs as a
//    LOCAL child process with a kubeconfig holding ONLY that token and the environment the chart
//    gives its container (read back from the installed Deployment). A ChatbotDeployment in another
//    namespace must become Ready, its Event be written and the Lease be taken and released: every
//    request the operator sends was authorised by the chart's RBAC alone.
// 3. `kubectl auth can-i --as=<the ServiceAccount>` for what it must not be able to do.
// 4. `helm uninstall` removes the cluster-scoped RBAC.
//
// The release sets watchNamespace to the test's own namespace: an all-namespaces operator would
// reconcile the fleets of every other test running against the shared API server. With a watched
// namespace the chart grants a Role there instead of a ClusterRole, so this run proves the
// namespaced RBAC suffices; operator/api/integration/helm-chart.test.ts checks the ClusterRole.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { kubectlPath, testenvVar } from './support/env.js';

const execFileAsync = promisify(execFile);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const chart = join(repoRoot, 'charts/chatfleet');

const suffix = randomBytes(3).toString('hex');
const releaseNs = `cf-helm-${suffix}`;
const appNs = `cf-helm-apps-${suffix}`;
const release = `cf-${suffix}`;
const fullname = `${release}-chatfleet`; // chart default: <release>-<chart>
const serviceAccount = `system:serviceaccount:${releaseNs}:${fullname}`;
const podName = `${fullname}-local-${suffix}`; // what the downward API would give the pod
const fleet = 'faq-minimal';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}

let kubeconfig: string;
let helm: string;
let workDir = '';
let operator: ChildProcess | undefined;
let operatorLog = '';
let installed = false;

async function run(bin: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
  const child = execFileAsync(bin, args, {
    env: opts.env ?? { ...process.env, KUBECONFIG: kubeconfig },
    maxBuffer: 32 << 20,
  });
  child.child.stdin?.end(opts.input ?? '');
  return child;
}

const kubectl = async (args: string[], input?: string): Promise<string> =>
  (await run(kubectlPath(), args, { input })).stdout;

const kubectlJson = async <T>(args: string[]): Promise<T> =>
  JSON.parse(await kubectl([...args, '-o', 'json'])) as T;

/** Polls `read` until `done` holds (no timing assertion: the deadline only bounds a broken run). */
async function eventually<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 90_000;
  let last: T | undefined;
  while (Date.now() < deadline) {
    // A refused request is retried with backoff forever; fail at once with the operator's words.
    const refused = /.*403 Forbidden.*/.exec(operatorLog);
    if (refused)
      throw new Error(`the operator was refused a request while waiting for ${what}: ${refused[0]}`);
    last = await read().catch(() => undefined);
    if (last !== undefined && done(last)) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}\n${operatorLog}`);
}

/** `kubectl auth can-i` answers "yes"/"no" and exits 1 on "no". */
async function canI(...args: string[]): Promise<boolean> {
  try {
    const out = await kubectl(['auth', 'can-i', `--as=${serviceAccount}`, ...args]);
    return out.trim() === 'yes';
  } catch (err) {
    const out = (err as { stdout?: string }).stdout ?? '';
    if (out.trim() === 'no') return false;
    throw err;
  }
}

/** A kubeconfig with the admin kubeconfig's server and CA, and nothing but the token as credentials. */
async function tokenKubeconfig(token: string): Promise<string> {
  const admin = await kubectlJson<{
    clusters: { cluster: { server: string; 'certificate-authority-data'?: string } }[];
  }>(['config', 'view', '--raw', '--minify', '--flatten']);
  const cluster = admin.clusters[0]!.cluster;
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'testenv', cluster }],
    users: [{ name: 'operator-sa', user: { token } }],
    contexts: [{ name: 'operator-sa', context: { cluster: 'testenv', user: 'operator-sa' } }],
    'current-context': 'operator-sa',
  };
  const path = join(workDir, 'operator-sa.kubeconfig');
  await writeFile(path, stringify(config), { mode: 0o600 });
  return path;
}

/** The container env of the installed operator Deployment, downward-API fields resolved as the kubelet would. */
async function chartEnvironment(): Promise<Record<string, string>> {
  const deployment = await kubectlJson<{
    spec: { template: { spec: { containers: { env: EnvVar[] }[] } } };
  }>(['get', 'deployment', fullname, '-n', releaseNs]);
  const fields: Record<string, string> = { 'metadata.name': podName, 'metadata.namespace': releaseNs };
  const env: Record<string, string> = {};
  for (const e of deployment.spec.template.spec.containers[0]!.env) {
    const field = e.valueFrom?.fieldRef?.fieldPath;
    const value = field === undefined ? e.value : fields[field];
    if (value === undefined) throw new Error(`cannot resolve env ${e.name}: ${JSON.stringify(e)}`);
    env[e.name] = value;
  }
  return env;
}

function startOperator(env: Record<string, string>, operatorKubeconfig: string): ChildProcess {
  // process.execPath is the Node 24 that runs jest (the system node on PATH is older).
  const child = spawn(process.execPath, ['--import', 'tsx', 'operator/main.ts'], {
    cwd: repoRoot,
    // Only what the pod would have, plus PATH; HOME points at an empty folder so no ~/.kube/config
    // (or any other credential) can be picked up. The health server takes any free local port
    // instead of the chart's 8081, which other processes on this machine may hold.
    env: {
      PATH: process.env.PATH,
      HOME: workDir,
      ...env,
      KUBECONFIG: operatorKubeconfig,
      CHATFLEET_HEALTH_HOST: '127.0.0.1',
      CHATFLEET_HEALTH_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (operatorLog += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (operatorLog += d.toString()));
  return child;
}

async function stopOperator(): Promise<number | null> {
  const child = operator;
  operator = undefined;
  if (!child || child.exitCode !== null) return child?.exitCode ?? null;
  const exited = once(child, 'exit') as Promise<[number | null]>;
  child.kill('SIGTERM');
  const [code] = await exited;
  return code;
}

beforeAll(async () => {
  kubeconfig = testenvVar('KUBECONFIG');
  helm = testenvVar('HELM');
  workDir = await mkdtemp(join(tmpdir(), 'chatfleet-helm-'));
  await kubectl(['create', 'namespace', releaseNs]);
  await kubectl([
    'label',
    'namespace',
    releaseNs,
    'pod-security.kubernetes.io/enforce=restricted',
    'pod-security.kubernetes.io/warn=restricted',
  ]);
  await kubectl(['create', 'namespace', appNs]);
});

afterAll(async () => {
  await stopOperator().catch(() => undefined);
  if (installed) await run(helm, ['uninstall', release, '-n', releaseNs]).catch(() => undefined);
  // The CRD stays: Helm never deletes it, and other tests share it.
  await kubectl(['delete', 'namespace', releaseNs, appNs, '--ignore-not-found', '--wait=false']).catch(
    () => undefined,
  );
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('helm install of charts/chatfleet', () => {
  it('installs the operator into a namespace enforcing the restricted Pod Security Standard', async () => {
    const { stderr } = await run(helm, [
      'install',
      release,
      chart,
      '--namespace',
      releaseNs,
      '--set',
      `watchNamespace=${appNs}`,
      // The test env installs the shared CRD itself; a second owner would be refused by Helm.
      '--set',
      'crds.install=false',
      '--wait',
      '--timeout',
      '120s',
    ]);
    installed = true;
    expect(stderr).not.toContain('PodSecurity');
    const crd = await kubectlJson<{ status: { conditions: { type: string; status: string }[] } }>([
      'get',
      'crd',
      'chatbotdeployments.chatfleet.io',
    ]);
    expect(crd.status.conditions).toContainEqual(
      expect.objectContaining({ type: 'Established', status: 'True' }),
    );
    // Admitted under `enforce: restricted` (a rejected pod would never exist, let alone be Ready).
    const deployment = await kubectlJson<{ status: { readyReplicas?: number }; spec: { replicas: number } }>([
      'get',
      'deployment',
      fullname,
      '-n',
      releaseNs,
    ]);
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.status.readyReplicas).toBe(2);
  });

  it('gives the operator pod its identity, Lease and health port', async () => {
    const env = await chartEnvironment();
    expect(env).toMatchObject({
      POD_NAME: podName,
      POD_NAMESPACE: releaseNs,
      CHATFLEET_LEADER_ELECT: 'true',
      CHATFLEET_LEASE_NAMESPACE: releaseNs,
      CHATFLEET_HEALTH_PORT: '8081',
      WATCH_NAMESPACE: appNs,
    });
    const pod = await kubectlJson<{
      items: {
        spec: {
          containers: {
            ports: { containerPort: number }[];
            livenessProbe: { httpGet: { path: string } };
            readinessProbe: { httpGet: { path: string } };
          }[];
        };
      }[];
    }>(['get', 'pods', '-n', releaseNs, '-l', `app.kubernetes.io/instance=${release}`]);
    expect(pod.items).toHaveLength(2);
    const container = pod.items[0]!.spec.containers[0]!;
    expect(container.ports[0]!.containerPort).toBe(8081);
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
  });
});

describe('the operator with nothing but the chart ServiceAccount token', () => {
  let operatorKubeconfig = '';

  it('authenticates as the chart ServiceAccount (TokenRequest API)', async () => {
    const token = (await kubectl(['create', 'token', fullname, '-n', releaseNs, '--duration=15m'])).trim();
    operatorKubeconfig = await tokenKubeconfig(token);
    const whoami = await run(
      kubectlPath(),
      ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'],
      {
        env: { PATH: process.env.PATH, HOME: workDir, KUBECONFIG: operatorKubeconfig },
      },
    );
    expect(whoami.stdout).toBe(serviceAccount);
  });

  it('reconciles a ChatbotDeployment in another namespace to Ready=True', async () => {
    operator = startOperator(await chartEnvironment(), operatorKubeconfig);
    await kubectl(['apply', '-n', appNs, '-f', join(repoRoot, 'examples/chatbotdeployment-minimal.yaml')]);
    type Cbd = { status?: { conditions?: { type: string; status: string; reason?: string }[] } };
    const cbd = await eventually(
      `${appNs}/${fleet} Ready=True`,
      () => kubectlJson<Cbd>(['get', 'chatbotdeployment', fleet, '-n', appNs]),
      (c) => (c.status?.conditions ?? []).some((x) => x.type === 'Ready' && x.status === 'True'),
    );
    // The minimal example runs standalone Redis without storage: Degraded may carry only the
    // standing NoRedundancy warning (docs/dataplane.md), never a real problem (e.g. a refused write).
    const degraded = cbd.status?.conditions?.find((c) => c.type === 'Degraded');
    expect(degraded?.status === 'False' || degraded?.reason === 'NoRedundancy').toBe(true);
    // Every child was applied with the token's permissions, the managed Redis of the data
    // plane (StatefulSet, Services, PDB, generated password Secret) and the rollout's routing
    // ConfigMap, per-track Services and Role/RoleBinding included.
    const children = await kubectl([
      'get',
      'deployment,service,serviceaccount,configmap,poddisruptionbudget,statefulset,secret,role,rolebinding',
      '-n',
      appNs,
      '-l',
      `app.kubernetes.io/instance=${fleet}`,
      '-o',
      'name',
    ]);
    expect(children.trim().split('\n').sort()).toEqual(
      [
        `configmap/${fleet}-runtime`,
        `deployment.apps/${fleet}`,
        `poddisruptionbudget.policy/${fleet}`,
        `service/${fleet}`,
        `serviceaccount/${fleet}`,
        `statefulset.apps/${fleet}-redis`,
        `service/${fleet}-redis`,
        `service/${fleet}-redis-headless`,
        `poddisruptionbudget.policy/${fleet}-redis`,
        `secret/${fleet}-redis-auth`,
        `configmap/${fleet}-routing`,
        `service/${fleet}-stable`,
        `service/${fleet}-canary`,
        `role.rbac.authorization.k8s.io/${fleet}-routing-reader`,
        `rolebinding.rbac.authorization.k8s.io/${fleet}-routing-reader`,
      ].sort(),
    );
  });

  it('holds the Lease in the release namespace and records events.k8s.io Events', async () => {
    const lease = await kubectlJson<{ spec: { holderIdentity?: string } }>([
      'get',
      'lease',
      'chatfleet-operator',
      '-n',
      releaseNs,
    ]);
    expect(lease.spec.holderIdentity).toBe(podName);
    // Event writes are fire-and-forget in the operator (a 403 is only logged), so look for it.
    const events = await eventually(
      'the FleetReady event',
      () =>
        kubectlJson<{ items: { reason: string; reportingController: string }[] }>([
          'get',
          'events.events.k8s.io',
          '-n',
          appNs,
        ]),
      (l) => l.items.some((e) => e.reason === 'FleetReady'),
    );
    expect(events.items.find((e) => e.reason === 'FleetReady')!.reportingController).toBe(
      'chatfleet.io/operator',
    );
  });

  it('was never refused a request', () => {
    expect(operatorLog).toContain('loaded Kubernetes configuration');
    expect(operatorLog).not.toMatch(/forbidden|\b403\b/i);
  });

  it('shuts down cleanly and releases the Lease (update on its own Lease)', async () => {
    expect(await stopOperator()).toBe(0);
    const lease = await kubectlJson<{ spec: { holderIdentity?: string } }>([
      'get',
      'lease',
      'chatfleet-operator',
      '-n',
      releaseNs,
    ]);
    expect(lease.spec.holderIdentity ?? '').toBe('');
  });

  it('is refused what the chart does not grant, with the real token', async () => {
    const env = { PATH: process.env.PATH, HOME: workDir, KUBECONFIG: operatorKubeconfig };
    // (Not Secrets any more: rbac.secretWatch grants list/watch on them cluster-wide, see rbac.yaml.)
    const attempt = run(kubectlPath(), ['get', 'nodes'], { env });
    await expect(attempt).rejects.toMatchObject({ stderr: expect.stringMatching(/forbidden/i) });
  });
});

describe('least privilege (kubectl auth can-i as the chart ServiceAccount)', () => {
  it.each<[string, string[], boolean]>([
    // What the operator needs (the run above proves these are sufficient).
    [
      'watches ChatbotDeployments in the watched namespace',
      ['watch', 'chatbotdeployments.chatfleet.io', '-n', appNs],
      true,
    ],
    // watchNamespace: nothing is granted cluster-wide (a Role, not a ClusterRole).
    [
      'cannot watch ChatbotDeployments cluster-wide',
      ['watch', 'chatbotdeployments.chatfleet.io', '-A'],
      false,
    ],
    ['cannot read Secrets outside the watched namespace', ['get', 'secrets', '-n', 'default'], false],
    ['cannot patch Secrets (no code does)', ['patch', 'secrets', '-n', appNs], false],
    ['cannot delete Secrets (no code does)', ['delete', 'secrets', '-n', appNs], false],
    [
      'applies ChatbotDeployment status',
      ['patch', 'chatbotdeployments.chatfleet.io', '--subresource=status', '-n', appNs],
      true,
    ],
    ['applies Deployments', ['patch', 'deployments.apps', '-n', appNs], true],
    [
      'creates Deployments (an apply that creates needs create)',
      ['create', 'deployments.apps', '-n', appNs],
      true,
    ],
    [
      'updates only its own Lease',
      ['update', 'leases.coordination.k8s.io/chatfleet-operator', '-n', releaseNs],
      true,
    ],
    ['reads a Secret by name (data plane; see rbac.yaml)', ['get', 'secrets', '-n', appNs], true],
    // What it must not do.
    ['cannot delete nodes', ['delete', 'nodes'], false],
    ['cannot patch nodes', ['patch', 'nodes'], false],
    // rbac.secretWatch (default true): the informer that recreates a deleted Redis password Secret
    // selects managed-by=chatfleet-operator, but RBAC cannot limit list/watch by label (rbac.yaml).
    // With watchNamespace, only in that namespace.
    ['lists Secrets for the password Secret informer', ['list', 'secrets', '-n', appNs], true],
    ['watches Secrets for the password Secret informer', ['watch', 'secrets', '-n', appNs], true],
    ['cannot create ClusterRoles', ['create', 'clusterroles.rbac.authorization.k8s.io'], false],
    // Rollouts: a Role + RoleBinding per fleet for its routing ConfigMap (rbac.yaml), nothing more.
    [
      'creates RoleBindings (routing reader)',
      ['create', 'rolebindings.rbac.authorization.k8s.io', '-n', appNs],
      true,
    ],
    ['applies Roles (routing reader)', ['patch', 'roles.rbac.authorization.k8s.io', '-n', appNs], true],
    ['cannot list Roles', ['list', 'roles.rbac.authorization.k8s.io', '-A'], false],
    ['cannot bind arbitrary roles', ['bind', 'clusterroles.rbac.authorization.k8s.io'], false],
    ['cannot escalate Roles', ['escalate', 'roles.rbac.authorization.k8s.io', '-n', appNs], false],
    ['cannot create ClusterRoleBindings', ['create', 'clusterrolebindings.rbac.authorization.k8s.io'], false],
    ['cannot modify CRDs', ['update', 'customresourcedefinitions.apiextensions.k8s.io'], false],
    ['cannot delete CRDs', ['delete', 'customresourcedefinitions.apiextensions.k8s.io'], false],
    // The Redis Cluster roll deletes outdated Redis pods (rbac.yaml, rbac.dataPlane); it never creates any.
    ['deletes pods (Redis roll)', ['delete', 'pods', '-n', appNs], true],
    ['cannot patch pods', ['patch', 'pods', '-n', appNs], false],
    ['cannot create pods', ['create', 'pods', '-n', appNs], false],
    ['cannot exec into pods', ['create', 'pods', '--subresource=exec', '-n', appNs], false],
    [
      'cannot mint ServiceAccount tokens',
      ['create', 'serviceaccounts', '--subresource=token', '-n', appNs],
      false,
    ],
    ['cannot impersonate', ['impersonate', 'serviceaccounts', '-n', appNs], false],
    ['cannot delete namespaces', ['delete', 'namespaces'], false],
    ['holds no update (PUT) on children: apply only', ['update', 'deployments.apps', '-n', appNs], false],
    ['cannot create ChatbotDeployments', ['create', 'chatbotdeployments.chatfleet.io', '-n', appNs], false],
    [
      'cannot update ChatbotDeployment specs',
      ['update', 'chatbotdeployments.chatfleet.io', '-n', appNs],
      false,
    ],
    ['cannot delete ChatbotDeployments', ['delete', 'chatbotdeployments.chatfleet.io', '-n', appNs], false],
    [
      'cannot take Leases in kube-system',
      ['update', 'leases.coordination.k8s.io/chatfleet-operator', '-n', 'kube-system'],
      false,
    ],
    [
      'cannot update another Lease',
      ['update', 'leases.coordination.k8s.io/kube-scheduler', '-n', releaseNs],
      false,
    ],
    ['cannot write core/v1 Events', ['create', 'events', '-n', appNs], false],
  ])('%s', async (_what, args, expected) => {
    expect(await canI(...args)).toBe(expected);
  });
});

describe('helm uninstall', () => {
  it('removes the release including its cluster-scoped RBAC', async () => {
    await run(helm, ['uninstall', release, '-n', releaseNs, '--wait', '--timeout', '60s']);
    installed = false;
    const left = await kubectl([
      'get',
      'clusterrole,clusterrolebinding,deployment,serviceaccount,role,rolebinding',
      '-A',
      '-l',
      `app.kubernetes.io/instance=${release}`,
      '-o',
      'name',
    ]);
    expect(left.trim()).toBe('');
    expect(await canI('watch', 'chatbotdeployments.chatfleet.io', '-n', appNs)).toBe(false);
  });
});
