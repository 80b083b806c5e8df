/**
 * The real node is a real Kubernetes node: pods run in containers (containerd + runc), get IPs
 * on the node's bridge that the host reaches, Services reach them through kube-proxy's
 * ClusterIP rules, cluster DNS resolves Service names, and the API server enforces the
 * `restricted` Pod Security profile. Uses the busybox image the node imports at start.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { egressGuardCount } from '../../scripts/egress-guard.js';
import {
  BUSYBOX_IMAGE,
  adminConfig,
  createNamespace,
  describeOnRealNode,
  enforceRestricted,
  eventually,
  httpText,
  onRealNode,
  readyPods,
  realNodeStatus,
  restrictedContainerSecurity,
  restrictedPodSecurity,
} from './support.js';

const status = await realNodeStatus();
const suffix = randomUUID().slice(0, 8);
const namespace = `rn-node-${suffix}`;

/** A busybox web server that answers with its own pod name, as a restricted-compliant pod. */
function webPod(name: string): k8s.V1Pod {
  return {
    metadata: { name, labels: { app: 'web' } },
    spec: {
      ...onRealNode(),
      securityContext: restrictedPodSecurity,
      containers: [
        {
          name: 'web',
          image: BUSYBOX_IMAGE,
          imagePullPolicy: 'Never',
          command: [
            '/bin/sh',
            '-c',
            'mkdir -p /tmp/www && echo "$POD_NAME" >/tmp/www/name && exec httpd -f -p 8080 -h /tmp/www',
          ],
          env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          ports: [{ containerPort: 8080 }],
          readinessProbe: { httpGet: { path: '/name', port: 8080 }, periodSeconds: 1 },
          securityContext: restrictedContainerSecurity,
        },
      ],
    },
  };
}

describeOnRealNode(status, 'real node: pods, Services, DNS and Pod Security', (nodeName) => {
  const kc = adminConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  let pods: Awaited<ReturnType<typeof readyPods>> = [];
  let clusterIP = '';

  beforeAll(async () => {
    await createNamespace(core, namespace, enforceRestricted);
    await core.createNamespacedPod({ namespace, body: webPod('web-a') });
    await core.createNamespacedPod({ namespace, body: webPod('web-b') });
    const svc = await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: 'web' },
        spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
      },
    });
    clusterIP = svc.spec?.clusterIP ?? '';
    pods = await eventually(async () => {
      const ready = await readyPods(core, namespace, 'app=web');
      return ready.length === 2 ? ready : undefined;
    }, 'two busybox pods to be Ready on the real node');
  });
  afterAll(async () => {
    await core.deleteNamespace({ name: namespace });
  });

  it('runs the pods on the real node with IPs on its bridge, reachable from the host', async () => {
    for (const pod of pods) {
      expect(pod.node).toBe(nodeName);
      expect(pod.ip).toMatch(/^10\.201\.0\.\d+$/);
      expect(pod.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
      const res = await httpText(`http://${pod.ip}:8080/name`);
      expect(res.body.trim()).toBe(pod.name);
    }
  });

  it('routes the Service ClusterIP from the host to both pods (kube-proxy)', async () => {
    const seen = new Set<string>();
    await eventually(async () => {
      const res = await httpText(`http://${clusterIP}/name`);
      seen.add(res.body.trim());
      return seen.size === 2 ? true : undefined;
    }, `both pods answering through ${clusterIP}`);
    expect([...seen].sort()).toEqual(pods.map((p) => p.name).sort());
  });

  it('with kube-proxy on the host, refuses a ClusterIP of kwok pods locally while real endpoints answer', async () => {
    // testenv/network.sh: the fence sits after kube-proxy's DNAT, so it sees the kwok pod address.
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: 'kwok-pod', labels: { app: 'kwok' } },
        spec: {
          nodeSelector: { type: 'kwok' },
          securityContext: restrictedPodSecurity,
          containers: [
            { name: 'c', image: 'registry.invalid/kwok:1', securityContext: restrictedContainerSecurity },
          ],
        },
      },
    });
    const kwokSvc = await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: 'kwok' },
        spec: { selector: { app: 'kwok' }, ports: [{ port: 80, targetPort: 8080 }] },
      },
    });
    const kwokPodIP = await eventually(async () => {
      const pod = await core.readNamespacedPod({ name: 'kwok-pod', namespace });
      return pod.status?.podIP || undefined;
    }, 'the kwok pod to get an IP');
    const before = egressGuardCount();
    expect(before).not.toBeUndefined();
    // kube-proxy programs the kwok Service's endpoint a moment after the pod is Ready.
    await new Promise((r) => setTimeout(r, 3_000));
    const t0 = performance.now();
    await expect(
      fetch(`http://${kwokSvc.spec?.clusterIP ?? ''}/`, { signal: AbortSignal.timeout(3_000) }),
    ).rejects.toThrow(/fetch failed/);
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect((await httpText(`http://${clusterIP}/name`)).status).toBe(200);
    // a real pod's packet to a kwok pod IP takes the FORWARD path: refused there too (busybox wget
    // -T crashes in this build, and without it a connect that is not refused would wait: it is)
    const exec = new k8s.Exec(kc);
    const out = await execIn(exec, namespace, 'web-a', [
      '/bin/sh',
      '-c',
      `wget -qO- http://${kwokPodIP}:8080/ 2>&1; echo rc=$?`,
    ]);
    expect(out).toMatch(/refused|unreachable/i);
    expect(egressGuardCount()).toBe(before);
  });

  it('resolves the Service name through cluster DNS inside a pod', async () => {
    const exec = new k8s.Exec(kc);
    const output = await execIn(exec, namespace, 'web-a', [
      'wget',
      '-qO-',
      `http://web.${namespace}.svc.cluster.local/name`,
    ]);
    expect(['web-a', 'web-b']).toContain(output.trim());
  });

  it('rejects a pod that breaks the restricted profile in an enforcing namespace', async () => {
    const privileged: k8s.V1Pod = {
      metadata: { name: 'privileged' },
      spec: {
        ...onRealNode(),
        containers: [{ name: 'c', image: BUSYBOX_IMAGE, securityContext: { privileged: true } }],
      },
    };
    const error = await core.createNamespacedPod({ namespace, body: privileged }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(k8s.ApiException);
    const apiError = error as k8s.ApiException<string>;
    expect(apiError.code).toBe(403);
    const message = (JSON.parse(String(apiError.body)) as { message?: string }).message ?? '';
    expect(message).toContain('violates PodSecurity "restricted:latest"');
    expect(message).toContain('privileged');
  });
});

/** Runs a command in a pod's first container through the API server and the kubelet. */
async function execIn(exec: k8s.Exec, namespace: string, pod: string, command: string[]): Promise<string> {
  const { Writable } = await import('node:stream');
  let out = '';
  let err = '';
  const sink = (append: (s: string) => void): InstanceType<typeof Writable> =>
    new Writable({
      write(chunk: Buffer, _enc, done): void {
        append(chunk.toString());
        done();
      },
    });
  await new Promise<void>((resolve, reject) => {
    exec
      .exec(
        namespace,
        pod,
        'web',
        command,
        sink((s) => (out += s)),
        sink((s) => (err += s)),
        null,
        false,
        (st) => {
          if (st.status === 'Success') resolve();
          else reject(new Error(`exec ${command.join(' ')} failed: ${st.message ?? ''} ${err}`));
        },
      )
      .catch(reject);
  });
  return out;
}
