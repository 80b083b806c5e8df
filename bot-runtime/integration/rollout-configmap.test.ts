import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runId, requireEnv } from './support/env.js';
import { routingOf, waitForGeneration } from './support/rollout.js';
import { metricValue, postChat, startRuntime, type Runtime } from './support/runtime.js';

const versions = { stable: '2026.11.0-s', canary: '2026.12.0-c' };

/**
 * The routing ConfigMap watch against the test environment's real API server: a namespace and a
 * ConfigMap of our own, the runtime started with CHATFLEET_ROUTING_CONFIGMAP + POD_NAMESPACE and
 * the admin kubeconfig (KUBECONFIG) instead of a pod's service account.
 */
describe('routing from a ConfigMap watch (real API server)', () => {
  const kubeconfig = process.env.KUBECONFIG;
  const kc = new KubeConfig();
  let core: CoreV1Api;
  const namespace = runId('cf-rollout');
  const name = 'bot-routing';
  let rt: Runtime;

  const put = async (routing: ReturnType<typeof routingOf> | string): Promise<void> => {
    const data = { 'routing.json': typeof routing === 'string' ? routing : JSON.stringify(routing) };
    await core.replaceNamespacedConfigMap({ name, namespace, body: { metadata: { name }, data } });
  };

  beforeAll(async () => {
    if (!kubeconfig) throw new Error('KUBECONFIG is not set: source .testenv/env (npm run testenv:up)');
    kc.loadFromFile(kubeconfig);
    core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: { name },
        data: { 'routing.json': JSON.stringify(routingOf({ generation: 1, canaryWeight: 0 }, versions)) },
      },
    });
    // another ConfigMap in the namespace must never be read (fieldSelector)
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'other' }, data: { 'routing.json': 'not json' } },
    });
    rt = await startRuntime({
      REDIS_URL: requireEnv('REDIS_URL'),
      CHATFLEET_ROUTING_CONFIGMAP: name,
      POD_NAMESPACE: namespace,
      KUBECONFIG: kubeconfig,
      CHATFLEET_TRACK: 'stable',
      MODEL_VERSION: versions.stable,
    });
  });
  afterAll(async () => {
    await rt?.close();
    await core?.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  it('applies the ConfigMap before listening, then every change within 5 s', async () => {
    // the first list happens while the app is built
    expect(await metricValue(rt.registry, 'chatfleet_rollout_generation')).toBe(1);
    const timings: number[] = [];
    for (const generation of [2, 3, 4]) {
      const t0 = Date.now();
      await put(routingOf({ generation, canaryWeight: generation * 10 }, versions));
      await waitForGeneration([rt], generation, 5000);
      timings.push(Date.now() - t0);
    }
    console.log(`ConfigMap change -> applied generation: ${timings.join(', ')} ms`);
    expect(Math.max(...timings)).toBeLessThanOrEqual(5000);
    expect(await metricValue(rt.registry, 'chatfleet_routing_reloads_total', { result: 'invalid' })).toBe(0);
  });

  it('keeps the last good routing on invalid JSON and on deletion, and recovers', async () => {
    await put('{"generation": 9, "stableVersion": "x"');
    const deadline = Date.now() + 5000;
    while ((await metricValue(rt.registry, 'chatfleet_routing_reloads_total', { result: 'invalid' })) < 1) {
      if (Date.now() > deadline) throw new Error('invalid routing not counted within 5 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await metricValue(rt.registry, 'chatfleet_rollout_generation')).toBe(4);
    await core.deleteNamespacedConfigMap({ name, namespace });
    while ((await metricValue(rt.registry, 'chatfleet_routing_reloads_total', { result: 'missing' })) < 1) {
      if (Date.now() > deadline + 5000) throw new Error('deletion not seen within 5 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await metricValue(rt.registry, 'chatfleet_rollout_generation')).toBe(4);
    // turns still work on the last good routing (weight 40 %: hash-assigned, forwarded or not)
    const res = await postChat(rt.url, { message: 'hello' });
    expect(res.status).toBe(200);
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: { name },
        data: { 'routing.json': JSON.stringify(routingOf({ generation: 5, canaryVersion: null }, versions)) },
      },
    });
    await waitForGeneration([rt], 5, 5000);
  });

  it('resumes the watch after the server ends it (timeoutSeconds 20-24 s)', async () => {
    await new Promise((r) => setTimeout(r, 26_000));
    const t0 = Date.now();
    await put(routingOf({ generation: 6, canaryWeight: 5 }, versions));
    await waitForGeneration([rt], 6, 5000);
    console.log(`after a watch restart: applied in ${Date.now() - t0} ms`);
  }, 60_000);
});

/**
 * The pod's real permissions: a ServiceAccount whose Role allows get/list/watch on the routing
 * ConfigMap only (resourceNames), as the operator grants it. List and watch with the
 * metadata.name field selector are allowed by such a Role; nothing else is needed.
 */
describe('routing watch under a Role limited by resourceNames', () => {
  const kc = new KubeConfig();
  let core: CoreV1Api;
  const namespace = runId('cf-rbac');
  const name = 'bot-routing';
  const dir = mkdtempSync(join(tmpdir(), 'cf-kubeconfig-'));
  let rt: Runtime;

  beforeAll(async () => {
    kc.loadFromFile(process.env.KUBECONFIG ?? '');
    core = kc.makeApiClient(CoreV1Api);
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    const data = { 'routing.json': JSON.stringify(routingOf({ generation: 7, canaryWeight: 10 }, versions)) };
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name }, data } });
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'bot' } } });
    await rbac.createNamespacedRole({
      namespace,
      body: {
        metadata: { name: `${name}-reader` },
        rules: [
          {
            apiGroups: [''],
            resources: ['configmaps'],
            resourceNames: [name],
            verbs: ['get', 'list', 'watch'],
          },
        ],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: `${name}-reader` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${name}-reader` },
        subjects: [{ kind: 'ServiceAccount', name: 'bot', namespace }],
      },
    });
    const token = await core.createNamespacedServiceAccountToken({
      name: 'bot',
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const cluster = kc.getCurrentCluster()!;
    const path = join(dir, 'kubeconfig');
    writeFileSync(
      path,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          { name: 'c', cluster: { server: cluster.server, 'certificate-authority-data': caData(cluster) } },
        ],
        users: [{ name: 'bot', user: { token: token.status?.token } }],
        contexts: [{ name: 'bot', context: { cluster: 'c', user: 'bot', namespace } }],
        'current-context': 'bot',
      }),
    );
    rt = await startRuntime({
      REDIS_URL: requireEnv('REDIS_URL'),
      CHATFLEET_ROUTING_CONFIGMAP: name,
      POD_NAMESPACE: namespace,
      KUBECONFIG: path,
    });
  });
  afterAll(async () => {
    await rt?.close();
    await core?.deleteNamespace({ name: namespace }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists and watches the one ConfigMap with only that Role', async () => {
    expect(await metricValue(rt.registry, 'chatfleet_rollout_generation')).toBe(7);
    const data = { 'routing.json': JSON.stringify(routingOf({ generation: 8, canaryWeight: 20 }, versions)) };
    await core.replaceNamespacedConfigMap({ name, namespace, body: { metadata: { name }, data } });
    await waitForGeneration([rt], 8, 5000);
    expect(await metricValue(rt.registry, 'chatfleet_routing_reloads_total', { result: 'error' })).toBe(0);
  });
});

function caData(cluster: { caData?: string; caFile?: string }): string | undefined {
  if (cluster.caData) return cluster.caData;
  return cluster.caFile ? readFileSync(cluster.caFile).toString('base64') : undefined;
}
