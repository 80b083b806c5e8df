/**
 * Shared helpers of the real-node e2e suite: detecting the real node that
 * `npm run testenv:up -- --real-node` adds, placing pods on it, and waiting for real state.
 *
 * When the real node is not up, every suite fails with one test saying why and how to start
 * it, like every other suite without its environment. `npm test` decides up front whether the
 * machine can run a real node, and otherwise prints one SKIPPED line and does not run this
 * project at all (scripts/test-all.sh).
 */
import { afterAll, beforeAll, describe, it, jest } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { kubectlPath, testenvVar } from '../support/env.js';

const run = promisify(execFile);

export const REAL_NODE_LABEL = 'chatfleet.io/real-node';
export const BOT_IMAGE = process.env.CHATFLEET_BOT_IMAGE ?? 'localhost/chatfleet/bot-runtime:dev';
export const OPERATOR_IMAGE_REPOSITORY = 'localhost/chatfleet/operator';
export const OPERATOR_IMAGE_TAG = 'dev';
export const BUSYBOX_IMAGE = 'localhost/chatfleet/busybox:1';
/** Built from Debian's redis-server by images/redis.sh and imported when the real node starts. */
export const REDIS_IMAGE = 'localhost/chatfleet/redis:7';

export type RealNodeStatus = { ready: true; nodeName: string } | { ready: false; reason: string };

export function adminConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(testenvVar('KUBECONFIG'));
  return kc;
}

/** The real node is up when a node labelled chatfleet.io/real-node=true exists and is Ready. */
export async function realNodeStatus(): Promise<RealNodeStatus> {
  const core = adminConfig().makeApiClient(k8s.CoreV1Api);
  const nodes = await core.listNode({ labelSelector: `${REAL_NODE_LABEL}=true` });
  const node = nodes.items[0];
  if (node === undefined) {
    return {
      ready: false,
      reason: `no node labelled ${REAL_NODE_LABEL}=true (start it: npm run testenv:up -- --real-node)`,
    };
  }
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  const name = node.metadata?.name ?? '?';
  return ready ? { ready: true, nodeName: name } : { ready: false, reason: `real node ${name} is not Ready` };
}

/**
 * `describe` when the real node is up; otherwise a suite with a single failing test that names
 * the reason (a skipped suite would report green while checking nothing).
 */
export function describeOnRealNode(
  status: RealNodeStatus,
  title: string,
  body: (nodeName: string) => void,
): void {
  if (status.ready) {
    // Real containers start in seconds, but image unpacking and rollouts on a loaded 2-CPU
    // machine can take minutes: the waits inside the tests carry their own deadlines.
    jest.setTimeout(300_000);
    describe(title, () => body(status.nodeName));
    return;
  }
  describe(title, () => {
    it('needs the real node', () => {
      throw new Error(`the real node is not available: ${status.reason}`);
    });
  });
}

/** Pod placement for the real node: it is tainted so kwok-based tests never land there. */
export function onRealNode(): Pick<k8s.V1PodSpec, 'nodeSelector' | 'tolerations'> {
  return {
    nodeSelector: { [REAL_NODE_LABEL]: 'true' },
    tolerations: [{ key: REAL_NODE_LABEL, operator: 'Exists', effect: 'NoSchedule' }],
  };
}

/** Pod and container security settings that satisfy the `restricted` Pod Security profile. */
export const restrictedPodSecurity: k8s.V1PodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: 65532,
  runAsGroup: 65532,
  seccompProfile: { type: 'RuntimeDefault' },
};
export const restrictedContainerSecurity: k8s.V1SecurityContext = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
};

export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  ms = 90_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err; // the thing we wait for may not exist yet
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? ` (last error: ${last.message})` : '';
      throw new Error(`timed out waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Fails with instructions when an image was not built and imported into the node's containerd. */
/**
 * Fails unless the real node's containerd holds `image`. Asks containerd itself (`ctr images
 * ls`): the Node's status.images is refreshed only with the kubelet's periodic node status, so
 * on a machine whose containerd had never seen the images it lags an import by minutes.
 */
export async function requireImageOnNode(image: string): Promise<void> {
  const socket =
    process.env.CONTAINERD_ADDRESS ??
    join(dirname(testenvVar('KUBECONFIG')), 'real-node', 'run', 'containerd.sock');
  const { stdout } = await run('ctr', ['--address', socket, '-n', 'k8s.io', 'images', 'ls', '-q'], {
    timeout: 15_000,
  });
  const names = stdout.split('\n').map((l) => l.trim());
  if (!names.includes(image) && !names.includes(`docker.io/${image}`)) {
    throw new Error(
      `image ${image} is not in the real node's containerd (${socket}): build and import it with npm run images`,
    );
  }
}

export interface ReadyPod {
  name: string;
  ip: string;
  containerID: string;
  node: string;
}

/** The pods matching a selector that are Running and Ready, with their IP and container ID. */
export async function readyPods(
  core: k8s.CoreV1Api,
  namespace: string,
  selector: string,
): Promise<ReadyPod[]> {
  const pods = await core.listNamespacedPod({ namespace, labelSelector: selector });
  return pods.items
    .filter((p) => p.metadata?.deletionTimestamp === undefined && p.status?.phase === 'Running')
    .filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((p) => ({
      name: p.metadata?.name ?? '',
      ip: p.status?.podIP ?? '',
      containerID: p.status?.containerStatuses?.[0]?.containerID ?? '',
      node: p.spec?.nodeName ?? '',
    }));
}

function podLine(p: k8s.V1Pod): string {
  const waiting = (p.status?.containerStatuses ?? []).map((c) => c.state?.waiting?.reason ?? '').join(',');
  const ready = p.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  return `${p.metadata?.name} ${p.status?.phase} ready=${ready} ${waiting} node=${p.spec?.nodeName}`;
}

/** One line per pod (phase, readiness, waiting reason) and the latest events: failure context. */
export async function describePods(core: k8s.CoreV1Api, namespace: string): Promise<string> {
  const pods = await core.listNamespacedPod({ namespace });
  const events = await core.listNamespacedEvent({ namespace });
  const recent = events.items.slice(-8).map((e) => `${e.reason} ${e.involvedObject.name}: ${e.message}`);
  return [...pods.items.map(podLine), ...recent].join('\n');
}

export async function createNamespace(
  core: k8s.CoreV1Api,
  name: string,
  labels: Record<string, string> = {},
): Promise<void> {
  await core.createNamespace({
    body: { metadata: { name, labels: { 'chatfleet.io/e2e': 'real-node', ...labels } } },
  });
}

export const enforceRestricted = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/enforce-version': 'latest',
};

export async function httpText(url: string, init?: RequestInit): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.text() };
}

/** POST JSON over a fresh TCP connection each time, so kube-proxy balances every request. */
export async function postJsonFresh(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: unknown }> {
  const { request } = await import('node:http');
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent: false,
        timeout: 10_000,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as unknown });
          } catch (err) {
            reject(new Error(`non-JSON answer from ${url}: ${text.slice(0, 200)}`, { cause: err }));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`POST ${url} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Sum of a counter (all label sets) in a Prometheus text exposition. */
export function counterSum(metricsText: string, name: string): number {
  return metricsText
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

export interface LocalOperator {
  healthPort: number;
  /** The last 4,000 characters the operator printed (stdout and stderr). */
  output(): string;
  /** Every match of `pattern` (global) in what the operator printed, up to its last 4 MiB. */
  grep(pattern: RegExp): string[];
  stop(): void;
  /** Sends `signal` (SIGKILL: no shutdown at all) and resolves once the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/**
 * What `npm start` runs (tsx operator/main.ts), on the Node 24 that runs the tests, with the
 * admin kubeconfig, watching one namespace and holding its Lease there.
 */
export async function startLocalOperator(
  namespace: string,
  extraEnv: Record<string, string> = {},
): Promise<LocalOperator> {
  const { spawn } = await import('node:child_process');
  const healthPort = await freePort();
  const proc = spawn(process.execPath, ['--import', 'tsx', 'operator/main.ts'], {
    env: {
      ...process.env,
      KUBECONFIG: testenvVar('KUBECONFIG'),
      WATCH_NAMESPACE: namespace,
      CHATFLEET_LEASE_NAMESPACE: namespace,
      CHATFLEET_HEALTH_HOST: '127.0.0.1',
      CHATFLEET_HEALTH_PORT: String(healthPort),
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let retained = '';
  // CHATFLEET_E2E_OPERATOR_LOG=<file>: every line the operator prints is appended there too (debugging).
  const { appendFileSync } = await import('node:fs');
  const logFile = process.env.CHATFLEET_E2E_OPERATOR_LOG;
  // Seen once is enough: a busy operator pushes the line out of the 4,000 characters kept.
  let started = false;
  const keep = (c: Buffer): void => {
    started ||= (output.slice(-100) + c.toString()).includes('controller started');
    output = (output + c.toString()).slice(-4000);
    retained = (retained + c.toString()).slice(-4 * 1024 * 1024);
    if (logFile) appendFileSync(logFile, c);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  try {
    // /readyz is 200 in standby too: wait for the leader to start its controller.
    await eventually(async () => {
      if (proc.exitCode !== null) throw new Error(`operator exited: ${output}`);
      const r = await httpText(`http://127.0.0.1:${healthPort}/readyz`);
      return r.status === 200 && r.body.includes('leading') && started ? true : undefined;
    }, 'the local operator to lead and start its controller');
  } catch (err) {
    proc.kill('SIGKILL'); // never leave an operator reconciling after the suite
    throw new Error(`${String(err)}\noperator output:\n${output}`, { cause: err });
  }
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    healthPort,
    output: () => output,
    grep: (pattern) => retained.match(pattern) ?? [],
    stop: () => proc.kill('SIGTERM'),
    kill: async (signal) => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Installs (or updates) the ChatbotDeployment CRD from crds/, the single source of the schema. */
export async function applyCrd(): Promise<void> {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  await promisify(execFile)(kubectlPath(), [
    '--kubeconfig',
    testenvVar('KUBECONFIG'),
    'apply',
    '--server-side',
    '--force-conflicts',
    '-f',
    'crds/chatfleet.io_chatbotdeployments.yaml',
  ]);
  await promisify(execFile)(kubectlPath(), [
    '--kubeconfig',
    testenvVar('KUBECONFIG'),
    'wait',
    '--for=condition=Established',
    'crd/chatbotdeployments.chatfleet.io',
  ]);
}

/** The warnings and errors the matching pods logged (pino JSON, level >= 40), for failure messages. */
export async function podWarnings(core: k8s.CoreV1Api, namespace: string, selector: string): Promise<string> {
  const pods = await core.listNamespacedPod({ namespace, labelSelector: selector });
  const parts = await Promise.all(
    pods.items.map(async (p) => {
      const name = p.metadata?.name ?? '';
      const log = await core.readNamespacedPodLog({ name, namespace, tailLines: 400 }).catch(() => '');
      const lines = String(log)
        .split('\n')
        .filter((l) => /"level":(4|5|6)0/.test(l))
        .slice(-5);
      return `${name}:\n  ${lines.join('\n  ') || '(no warnings)'}`;
    }),
  );
  return parts.join('\n');
}

/** The ChatbotDeployment resource for CustomObjectsApi calls. */
export const CBD_API = { group: 'chatfleet.io', version: 'v1alpha1', plural: 'chatbotdeployments' };

/**
 * A small ChatbotDeployment pinned to the real node: the local bot image, small requests, a
 * one-second drain, no zone spread or PDB (one node). `spec` is merged over these defaults.
 */
export function realNodeChatbot(
  name: string,
  modelVersion: string,
  spec: Record<string, unknown> = {},
): {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown> & { runtime: Record<string, unknown> };
} {
  const { runtime, ...rest } = spec as { runtime?: Record<string, unknown> };
  return {
    apiVersion: 'chatfleet.io/v1alpha1',
    kind: 'ChatbotDeployment',
    metadata: { name },
    spec: {
      runtime: {
        image: BOT_IMAGE,
        imagePullPolicy: 'IfNotPresent',
        resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
        drainSeconds: 1,
        terminationGracePeriodSeconds: 5,
        // the suites' load comes from one address (the host): the per-client limit would throttle it
        rateLimitPerMinute: 0,
        ...runtime,
      },
      model: { name: 'faq', version: modelVersion },
      scaling: { minReplicas: 1, maxReplicas: 1 },
      placement: { zoneSpread: { enabled: false }, ...onRealNode() },
      podDisruptionBudget: { enabled: false },
      ...rest,
    },
  };
}

/** /readyz of one bot pod, as the runtime reports it. */
export interface BotReadiness {
  status: string;
  redis: string;
  kafka: string;
  modelVersion?: string;
}

/**
 * Waits until at least `count` Ready bot pods of the fleet `instance` exist and every one of them
 * satisfies `ok` on its own /readyz (asked on the pod IP, not through the Service).
 */
export async function everyBotPod(
  core: k8s.CoreV1Api,
  namespace: string,
  instance: string,
  count: number,
  ok: (r: BotReadiness) => boolean,
  what: string,
): Promise<void> {
  await eventually(async () => {
    const selector = `app.kubernetes.io/name=chatbot,app.kubernetes.io/instance=${instance}`;
    const pods = await readyPods(core, namespace, selector);
    if (pods.length < count) return undefined;
    const states = await Promise.all(
      pods.map(async (p) => JSON.parse((await httpText(`http://${p.ip}:8080/readyz`)).body) as BotReadiness),
    );
    return states.every(ok) ? true : undefined;
  }, `every ${instance} bot pod: ${what}`);
}

/**
 * A namespace (enforcing `restricted`) with the operator running as a local process in it, for
 * the suite's lifetime; the images must be on the node and the CRD is (re)applied first.
 * `restart(signal)` ends the running operator with `signal` and starts a new one (which waits for
 * the old one's Lease to expire before it leads); `operatorEnv` is added to every start.
 */
/**
 * The chart's ServiceAccount and RBAC for one watched namespace (helm template with
 * watchNamespaces=[namespace]: Roles there, nothing cluster-wide), applied in that namespace, and a
 * kubeconfig holding nothing but a token of that ServiceAccount. Every real-node suite runs its
 * operator with it, so each request the operator sends must be allowed by the chart's RBAC alone.
 */
export async function chartRbacKubeconfig(namespace: string): Promise<string> {
  const kubeconfig = testenvVar('KUBECONFIG');
  const release = 'rn';
  const { stdout: manifests } = await run(
    testenvVar('HELM'),
    [
      ...['template', release, 'charts/chatfleet', '--namespace', namespace, '--kube-version', '1.36.0'],
      ...['--set', `watchNamespaces={${namespace}}`],
      ...['--show-only', 'templates/serviceaccount.yaml', '--show-only', 'templates/rbac.yaml'],
    ],
    { timeout: 30_000, maxBuffer: 4 << 20 },
  );
  const { spawn } = await import('node:child_process');
  const apply = spawn(kubectlPath(), ['--kubeconfig', kubeconfig, '-n', namespace, 'apply', '-f', '-'], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  apply.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  apply.stdin.end(manifests);
  const code = await new Promise<number | null>((resolve) => apply.once('exit', resolve));
  if (code !== 0) throw new Error(`applying the chart's RBAC in ${namespace} failed: ${stderr}`);
  const account = `${release}-chatfleet`;
  const { stdout: token } = await run(
    kubectlPath(),
    ['--kubeconfig', kubeconfig, '-n', namespace, 'create', 'token', account, '--duration=2h'],
    { timeout: 30_000 },
  );
  const admin = new k8s.KubeConfig();
  admin.loadFromFile(kubeconfig);
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error(`${kubeconfig} has no current cluster`);
  const limited = new k8s.KubeConfig();
  limited.loadFromOptions({
    clusters: [cluster],
    users: [{ name: account, token: token.trim() }],
    contexts: [{ name: account, cluster: cluster.name, user: account }],
    currentContext: account,
  });
  const { writeFile, mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const path = join(await mkdtemp(join(tmpdir(), `${namespace}-`)), 'operator-sa.kubeconfig');
  await writeFile(path, limited.exportConfig(), { mode: 0o600 });
  return path;
}

export function withLocalOperator(
  core: k8s.CoreV1Api,
  nodeName: string,
  namespace: string,
  images: string[],
  operatorEnv: Record<string, string> = {},
): {
  operator: () => LocalOperator | undefined;
  restart: (signal: NodeJS.Signals) => Promise<LocalOperator>;
} {
  let operator: LocalOperator | undefined;
  let env = operatorEnv;
  beforeAll(async () => {
    for (const image of images) await requireImageOnNode(image);
    await applyCrd();
    await createNamespace(core, namespace, enforceRestricted);
    if (process.env.CHATFLEET_E2E_ADMIN_OPERATOR !== '1')
      env = { KUBECONFIG: await chartRbacKubeconfig(namespace), ...operatorEnv };
    operator = await startLocalOperator(namespace, env);
  });
  afterAll(async () => {
    operator?.stop();
    await core.deleteNamespace({ name: namespace });
  });
  const restart = async (signal: NodeJS.Signals): Promise<LocalOperator> => {
    await operator?.kill(signal);
    operator = undefined;
    operator = await startLocalOperator(namespace, env);
    return operator;
  };
  return { operator: () => operator, restart };
}
