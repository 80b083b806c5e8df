/**
 * Real bot-runtime pods on the real node: the image built by `npm run images` runs as a
 * restricted pod, two replicas behind a Service answer POST /v1/chat from the host through
 * the ClusterIP (both serve replies, counted by each pod's own metrics), and deleting a pod
 * makes the Deployment start a new container in its place.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import {
  BOT_IMAGE,
  adminConfig,
  counterSum,
  createNamespace,
  describeOnRealNode,
  enforceRestricted,
  eventually,
  httpText,
  onRealNode,
  postJsonFresh,
  readyPods,
  realNodeStatus,
  requireImageOnNode,
  restrictedContainerSecurity,
  restrictedPodSecurity,
  type ReadyPod,
} from './support.js';

const status = await realNodeStatus();
const suffix = randomUUID().slice(0, 8);
const namespace = `rn-bot-${suffix}`;
const modelVersion = `e2e-${suffix}`;
const apiKey = `key-${randomUUID()}`;
const selector = 'app=bot';

function botDeployment(): k8s.V1Deployment {
  return {
    metadata: { name: 'bot' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'bot' } },
      template: {
        metadata: { labels: { app: 'bot' } },
        spec: {
          ...onRealNode(),
          securityContext: restrictedPodSecurity,
          terminationGracePeriodSeconds: 5,
          containers: [
            {
              name: 'bot',
              image: BOT_IMAGE,
              imagePullPolicy: 'IfNotPresent',
              ports: [{ name: 'http', containerPort: 8080 }],
              env: [
                { name: 'PORT', value: '8080' },
                { name: 'MODEL_VERSION', value: modelVersion },
                { name: 'DRAIN_TIMEOUT_MS', value: '500' },
                { name: 'AUTH_API_KEYS', valueFrom: { secretKeyRef: { name: 'bot-auth', key: 'keys' } } },
              ],
              readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 2 },
              livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10 },
              resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
              securityContext: { ...restrictedContainerSecurity, readOnlyRootFilesystem: true },
            },
          ],
        },
      },
    },
  };
}

describeOnRealNode(status, 'real node: bot-runtime pods behind a Service', (nodeName) => {
  const core = adminConfig().makeApiClient(k8s.CoreV1Api);
  const apps = adminConfig().makeApiClient(k8s.AppsV1Api);
  let clusterIP = '';
  let pods: ReadyPod[] = [];

  const chat = async (message: string): Promise<{ status: number; json: unknown }> =>
    postJsonFresh(
      `http://${clusterIP}/v1/chat`,
      { message, userId: `u-${randomUUID()}` },
      { authorization: `Bearer ${apiKey}` },
    );

  beforeAll(async () => {
    await requireImageOnNode(BOT_IMAGE);
    await createNamespace(core, namespace, enforceRestricted);
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'bot-auth' }, stringData: { keys: apiKey } },
    });
    await apps.createNamespacedDeployment({ namespace, body: botDeployment() });
    const svc = await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: 'bot' },
        spec: { selector: { app: 'bot' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
      },
    });
    clusterIP = svc.spec?.clusterIP ?? '';
    pods = await eventually(
      async () => {
        const ready = await readyPods(core, namespace, selector);
        return ready.length === 2 ? ready : undefined;
      },
      'two bot-runtime pods Running and Ready',
      180_000,
    );
  });
  afterAll(async () => {
    await core.deleteNamespace({ name: namespace });
  });

  it('runs the bot-runtime image as Running and Ready pods on the real node', async () => {
    for (const pod of pods) {
      expect(pod.node).toBe(nodeName);
      const ready = await httpText(`http://${pod.ip}:8080/readyz`);
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.body)).toMatchObject({ modelVersion });
    }
  });

  it('answers POST /v1/chat from the host through the ClusterIP, with both pods serving', async () => {
    // kube-proxy programs the ClusterIP a moment after the endpoints turn Ready.
    const unauthorized = await eventually(
      async () => postJsonFresh(`http://${clusterIP}/v1/chat`, { message: 'hello' }),
      `the ClusterIP ${clusterIP} to accept connections`,
    );
    expect(unauthorized.status).toBe(401);

    const served = new Map<string, number>();
    await eventually(async () => {
      for (let i = 0; i < 10; i++) {
        const res = await chat(`hello ${i}`);
        expect(res.status).toBe(200);
        expect(res.json).toMatchObject({ modelVersion, reply: expect.any(String) as unknown });
      }
      for (const pod of pods) {
        const metrics = await httpText(`http://${pod.ip}:8080/metrics`);
        served.set(pod.name, counterSum(metrics.body, 'chatfleet_turn_duration_seconds_count'));
      }
      return [...served.values()].every((n) => n > 0) ? true : undefined;
    }, 'both pods to have served chat turns');
    expect(served.size).toBe(2);
  });

  it('replaces a deleted pod with a new container, and the Service keeps answering', async () => {
    const victim = pods[0]!;
    await core.deleteNamespacedPod({ namespace, name: victim.name });
    const replaced = await eventually(
      async () => {
        const ready = await readyPods(core, namespace, selector);
        const fresh = ready.filter((p) => !pods.some((old) => old.name === p.name));
        return ready.length === 2 && fresh.length === 1 ? ready : undefined;
      },
      'the Deployment to replace the deleted pod',
      180_000,
    );
    const fresh = replaced.find((p) => p.name !== pods[1]!.name)!;
    expect(fresh.name).not.toBe(victim.name);
    expect(fresh.containerID).not.toBe(victim.containerID);
    expect(fresh.containerID).toMatch(/^containerd:\/\//);
    const res = await postJsonFresh(
      `http://${fresh.ip}:8080/v1/chat`,
      { message: 'still there?' },
      { authorization: `Bearer ${apiKey}` },
    );
    expect(res.status).toBe(200);
  });
});
