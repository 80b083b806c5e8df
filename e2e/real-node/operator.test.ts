/**
 * The operator on the real node, both ways it is meant to run:
 * - in-cluster: the Helm chart (charts/chatfleet) with the image built by `npm run images`,
 *   its own ServiceAccount and RBAC, talking to the API server through the `kubernetes`
 *   Service; it turns a ChatbotDeployment into real bot pods that answer chat;
 * - as a local process (`npm start` = tsx operator/main.ts) with the admin kubeconfig.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { TOPIC_FINALIZER } from '../../operator/dataplane/index.js';
import { testenvVar } from '../support/env.js';
import {
  BOT_IMAGE,
  CBD_API,
  OPERATOR_IMAGE_REPOSITORY,
  OPERATOR_IMAGE_TAG,
  REAL_NODE_LABEL,
  adminConfig,
  createNamespace,
  describeOnRealNode,
  describePods,
  enforceRestricted,
  eventually,
  onRealNode,
  postJsonFresh,
  readyPods,
  realNodeChatbot,
  realNodeStatus,
  requireImageOnNode,
  withLocalOperator,
} from './support.js';

const run = promisify(execFile);
const status = await realNodeStatus();
const suffix = randomUUID().slice(0, 8);
const apiKey = `key-${randomUUID()}`;

const cbdApi = CBD_API;

function chatbot(name: string, modelVersion: string): ReturnType<typeof realNodeChatbot> {
  return realNodeChatbot(name, modelVersion, {
    runtime: { auth: { apiKeysSecretRef: { name: 'bot-auth', key: 'keys' } } },
  });
}

/** Applies a ChatbotDeployment and waits until its Service answers chat from the host. */
async function expectChatbotServing(kc: k8s.KubeConfig, namespace: string, nodeName: string): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const modelVersion = `v-${suffix}`;
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'bot-auth' }, stringData: { keys: apiKey } },
  });
  await custom.createNamespacedCustomObject({ ...cbdApi, namespace, body: chatbot('faq', modelVersion) });
  const pods = await eventually(
    async () => {
      const ready = await readyPods(core, namespace, `chatfleet.io/model-version=${modelVersion}`);
      return ready.length >= 1 ? ready : undefined;
    },
    'the operator to run a Ready bot pod for the ChatbotDeployment',
    240_000,
  ).catch(async (err: unknown) => {
    throw new Error(`${String(err)}\n${await describePods(core, namespace)}`, { cause: err });
  });
  expect(pods.every((p) => p.node === nodeName)).toBe(true);
  const svc = await core.readNamespacedService({ name: 'faq', namespace });
  const res = await eventually(async () => {
    const r = await postJsonFresh(
      `http://${svc.spec?.clusterIP ?? ''}/v1/chat`,
      { message: 'hello' },
      { authorization: `Bearer ${apiKey}` },
    );
    return r.status === 200 ? r : undefined;
  }, 'the ChatbotDeployment Service to answer chat');
  expect(res.json).toMatchObject({ modelVersion });
}

describeOnRealNode(
  status,
  'real node: the operator in-cluster, from its Helm chart and image',
  (nodeName) => {
    const kc = adminConfig();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const namespace = `rn-op-${suffix}`;
    const release = `op-${suffix}`;
    const helm = (args: string[]): Promise<{ stdout: string }> =>
      run(testenvVar('HELM'), [...args, '--kubeconfig', testenvVar('KUBECONFIG')], { timeout: 120_000 });

    beforeAll(async () => {
      await requireImageOnNode(`${OPERATOR_IMAGE_REPOSITORY}:${OPERATOR_IMAGE_TAG}`);
      await requireImageOnNode(BOT_IMAGE);
      await createNamespace(core, namespace, enforceRestricted);
      await helm([
        'install',
        release,
        'charts/chatfleet',
        '--namespace',
        namespace,
        '--set',
        `image.repository=${OPERATOR_IMAGE_REPOSITORY}`,
        '--set',
        `image.tag=${OPERATOR_IMAGE_TAG}`,
        '--set',
        'replicaCount=1',
        '--set',
        `watchNamespace=${namespace}`,
        '--set',
        'podDisruptionBudget.enabled=false',
        // The shared CRD is installed by the test env (support.ts), not owned by this release.
        '--set',
        'crds.install=false',
        '--set',
        `leaderElection.leaseName=${release}`,
        '--set-json',
        `nodeSelector=${JSON.stringify({ [REAL_NODE_LABEL]: 'true' })}`,
        '--set-json',
        `tolerations=${JSON.stringify(onRealNode().tolerations)}`,
      ]);
    });
    afterAll(async () => {
      await helm(['uninstall', release, '--namespace', namespace, '--wait']).catch(() => undefined);
      await core.deleteNamespace({ name: namespace });
    });

    it('runs the operator image as a Ready pod on the real node under its own ServiceAccount', async () => {
      const pods = await eventually(
        async () => {
          const ready = await readyPods(core, namespace, `app.kubernetes.io/instance=${release}`);
          return ready.length === 1 ? ready : undefined;
        },
        'the operator pod to be Ready',
        180_000,
      );
      expect(pods[0]!.node).toBe(nodeName);
      const pod = await core.readNamespacedPod({ name: pods[0]!.name, namespace });
      expect(pod.spec?.serviceAccountName).not.toBe('default');
      expect(pod.spec?.containers[0]?.image).toBe(`${OPERATOR_IMAGE_REPOSITORY}:${OPERATOR_IMAGE_TAG}`);
    });

    it('reconciles a ChatbotDeployment into bot pods that answer chat through their Service', async () => {
      await expectChatbotServing(kc, namespace, nodeName);
    });

    // Needs the operator image with the `release-finalizers` subcommand (npm run images): the hook
    // Job runs that image on the real node.
    it('helm uninstall: the pre-delete hook releases the topic finalizer; the fleet stays, deleting it completes', async () => {
      const custom = kc.makeApiClient(k8s.CustomObjectsApi);
      const body = realNodeChatbot('topics', `v-topics-${suffix}`, {
        messaging: {
          kafka: { bootstrapServers: testenvVar('KAFKA_POD_BROKERS').split(','), deletionPolicy: 'Delete' },
        },
      });
      await custom.createNamespacedCustomObject({ ...cbdApi, namespace, body });
      const finalizers = async (): Promise<string[] | undefined> => {
        const cr = (await custom.getNamespacedCustomObject({ ...cbdApi, namespace, name: 'topics' })) as {
          metadata: { finalizers?: string[] };
        };
        return cr.metadata.finalizers ?? [];
      };
      await eventually(
        async () => ((await finalizers())?.includes(TOPIC_FINALIZER) ? true : undefined),
        'the operator to put its topic finalizer on the fleet',
        120_000,
      );

      const started = Date.now();
      await helm(['uninstall', release, '--namespace', namespace, '--wait', '--timeout', '240s']);
      process.stdout.write(`helm uninstall with the pre-delete hook took ${Date.now() - started} ms\n`);
      // The fleet stays, without the finalizer, with a Warning saying what that means.
      expect(await finalizers()).not.toContain(TOPIC_FINALIZER);
      const events = await kc
        .makeApiClient(k8s.EventsV1Api)
        .listNamespacedEvent({ namespace, fieldSelector: 'regarding.name=topics' });
      expect(events.items.map((e) => e.reason)).toContain('OperatorUninstalled');
      // No operator pod, and no hook object left behind (hook-delete-policy hook-succeeded).
      expect(await readyPods(core, namespace, `app.kubernetes.io/instance=${release}`)).toEqual([]);
      const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
      const hookRoles = await rbac.listClusterRole({
        labelSelector: `app.kubernetes.io/instance=${release},app.kubernetes.io/component=uninstall-hook`,
      });
      expect(hookRoles.items).toEqual([]);

      // With the operator gone, deleting the fleet completes within a bound.
      await custom.deleteNamespacedCustomObject({ ...cbdApi, namespace, name: 'topics' });
      await eventually(
        async () => {
          const list = (await custom.listNamespacedCustomObject({ ...cbdApi, namespace })) as {
            items: { metadata: { name: string } }[];
          };
          return list.items.some((i) => i.metadata.name === 'topics') ? undefined : true;
        },
        'the fleet to be deleted without an operator',
        30_000,
      );
    }, 400_000);
  },
);

describeOnRealNode(status, 'real node: the operator as a local process', (nodeName) => {
  const kc = adminConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const namespace = `rn-oplocal-${suffix}`;
  const { operator } = withLocalOperator(core, nodeName, namespace, [BOT_IMAGE]);

  it('becomes ready and reconciles a ChatbotDeployment into bot pods that answer chat', async () => {
    expect(operator()?.output()).toContain('controller started');
    await expectChatbotServing(kc, namespace, nodeName);
  });

  // kwok never pulls images or runs containers, so only a real kubelet can show these two.
  it('reports an image that cannot be pulled as Degraded=True/ImagePullFailed, naming the image', async () => {
    const image = `registry.invalid/chatfleet/missing:${suffix}`;
    const cr = chatbot('badimage', `v-bad-${suffix}`);
    cr.spec.runtime.image = image;
    await createChatbot(kc, namespace, cr);
    const degraded = await degradedCondition(kc, namespace, 'badimage', 'ImagePullFailed');
    expect(degraded.message).toContain(image);
  });

  it('reports a bot container that keeps exiting as Degraded=True/CrashLooping', async () => {
    const cr = chatbot('crashing', `v-crash-${suffix}`);
    // The runtime refuses to start on invalid configuration (exit code 2), every time.
    cr.spec.runtime.env = [{ name: 'ANSWER_CACHE_TTL_SECONDS', value: 'not-a-number' }];
    await createChatbot(kc, namespace, cr);
    const degraded = await degradedCondition(kc, namespace, 'crashing', 'CrashLooping');
    expect(degraded.message).toMatch(
      /is crash-looping \(\d+ restarts, last exit code [1-9]\d*\)\. Read its logs: kubectl logs crashing-/,
    );
  });

  it('reports a container the kubelet cannot configure (a missing Secret) as Degraded=True/ContainerConfigError', async () => {
    const cr = chatbot('nosecret', `v-nosecret-${suffix}`);
    cr.spec.runtime.auth = {
      apiKeysSecretRef: { name: `missing-${suffix}`, key: 'keys' },
    };
    await createChatbot(kc, namespace, cr);
    const degraded = await degradedCondition(kc, namespace, 'nosecret', 'ContainerConfigError');
    expect(degraded.message).toContain(`missing-${suffix}`);
  });
});

async function createChatbot(
  kc: k8s.KubeConfig,
  namespace: string,
  body: Record<string, unknown>,
): Promise<void> {
  await kc.makeApiClient(k8s.CustomObjectsApi).createNamespacedCustomObject({ ...cbdApi, namespace, body });
}

/** Waits for Degraded=True with the wanted reason on the CR's status, and returns that condition. */
async function degradedCondition(
  kc: k8s.KubeConfig,
  namespace: string,
  name: string,
  reason: string,
): Promise<{ reason: string; message: string }> {
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  let last: unknown;
  return eventually(
    async () => {
      const cr = (await custom.getNamespacedCustomObject({ ...cbdApi, namespace, name })) as {
        status?: { conditions?: { type: string; status: string; reason: string; message: string }[] };
      };
      last = cr.status?.conditions;
      const c = cr.status?.conditions?.find((x) => x.type === 'Degraded');
      return c?.status === 'True' && c.reason === reason ? c : undefined;
    },
    `Degraded=True/${reason} on ${name}`,
    180_000,
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}; last conditions: ${JSON.stringify(last)}`, { cause: err });
  });
}
