/**
 * The managed-Redis objects against the REAL API server (KUBECONFIG of the test environment):
 * every object passes server-side validation (dry run), and the pod template is admitted by
 * Pod Security admission at the "restricted" level. Wiring into a live CR is the controller's
 * e2e; this test pins what the data plane produces.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppsV1Api, CoreV1Api, KubeConfig, PolicyV1Api } from '@kubernetes/client-node';
import type {
  V1Pod,
  V1PodDisruptionBudget,
  V1Secret,
  V1Service,
  V1StatefulSet,
} from '@kubernetes/client-node';
import { testCbd } from '../fixtures.js';
import { desiredRedisObjects } from '../redis/desired.js';
import { generateRedisPassword, redisPasswordSecret } from '../redis/secret.js';
import type { ChatbotDeployment } from '../types.js';

function kubeConfig(): KubeConfig {
  if (!process.env.KUBECONFIG) {
    throw new Error(
      'KUBECONFIG is not set: start the test environment (`npm run testenv:up`) and `source .testenv/env`',
    );
  }
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}

const kc = kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const policy = kc.makeApiClient(PolicyV1Api);
const namespace = `dp-redis-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

function cbd(topology: 'standalone' | 'cluster', storage = false): ChatbotDeployment {
  return testCbd({
    metadata: { name: `bot-${topology}`, namespace, uid: '00000000-0000-0000-0000-000000000001' },
    redis: { topology, shards: 3, replicasPerShard: 1, ...(storage ? { storage: { size: '1Gi' } } : {}) },
  });
}

/** Each desired object as server-side apply sends it: the typed object's JSON. */
function plainObjects(cbd: ChatbotDeployment): (V1StatefulSet | V1Service | V1PodDisruptionBudget)[] {
  return desiredRedisObjects(cbd).map((o) => o.toJSON() as V1StatefulSet | V1Service | V1PodDisruptionBudget);
}

async function dryRunAll(cbd: ChatbotDeployment): Promise<string[]> {
  const applied: string[] = [];
  for (const obj of plainObjects(cbd)) {
    const dryRun = 'All';
    if (obj.kind === 'StatefulSet')
      await apps.createNamespacedStatefulSet({ namespace, body: obj as V1StatefulSet, dryRun });
    if (obj.kind === 'Service')
      await core.createNamespacedService({ namespace, body: obj as V1Service, dryRun });
    if (obj.kind === 'PodDisruptionBudget') {
      await policy.createNamespacedPodDisruptionBudget({
        namespace,
        body: obj as V1PodDisruptionBudget,
        dryRun,
      });
    }
    applied.push(`${obj.kind}/${obj.metadata?.name}`);
  }
  return applied;
}

/** A Pod built from the StatefulSet template, as the StatefulSet controller would create it. */
function podFromTemplate(sts: V1StatefulSet, name: string): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: sts.spec!.template.metadata?.labels },
    spec: sts.spec!.template.spec,
  };
}

describe('managed Redis objects (real API server)', () => {
  beforeAll(async () => {
    await core.createNamespace({
      body: {
        metadata: {
          name: namespace,
          labels: {
            'pod-security.kubernetes.io/enforce': 'restricted',
            'pod-security.kubernetes.io/enforce-version': 'latest',
          },
        },
      },
    });
  });

  afterAll(async () => {
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  it.each([
    ['standalone', false],
    ['standalone', true],
    ['cluster', false],
  ] as const)('%s (storage=%s): every object passes server-side validation', async (topology, storage) => {
    const applied = await dryRunAll(cbd(topology, storage));
    expect(applied.length).toBe(topology === 'standalone' ? 4 : 2 + 3 * 2);
  });

  it('the password Secret passes validation and holds only a generated password', async () => {
    const secret = redisPasswordSecret(cbd('standalone'), generateRedisPassword()).toJSON() as V1Secret;
    const created = await core.createNamespacedSecret({ namespace, body: secret, dryRun: 'All' });
    expect(Object.keys(created.data ?? created.stringData ?? {})).toEqual(['password']);
  });

  it('the Redis pod is admitted under Pod Security "restricted" (and an unhardened one is not)', async () => {
    const sts = plainObjects(cbd('cluster')).find((o): o is V1StatefulSet => o.kind === 'StatefulSet')!;
    const admitted = await core.createNamespacedPod({
      namespace,
      body: podFromTemplate(sts, 'redis-probe'),
      dryRun: 'All',
    });
    expect(admitted.spec?.containers[0]?.securityContext?.runAsNonRoot).toBe(true);

    // Negative control: the same pod without the hardening is rejected by the same admission.
    const weak = podFromTemplate(sts, 'redis-weak');
    weak.spec = {
      ...weak.spec!,
      securityContext: undefined,
      containers: weak.spec!.containers.map((c) => ({ ...c, securityContext: undefined })),
    };
    await expect(core.createNamespacedPod({ namespace, body: weak, dryRun: 'All' })).rejects.toThrow(
      /restricted/,
    );
  });
});
