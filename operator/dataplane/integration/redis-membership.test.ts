/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment --
   Raw Kubernetes JSON from kubectl. */
/**
 * Redis Cluster members are the pods of the CR's own StatefulSets, against the REAL API server,
 * StatefulSet controller and kwok nodes. A spoofed pod with the Redis labels would otherwise be sent
 * CLUSTER MEET, MIGRATE and the password (AUTH). This runs the same list-and-filter the data plane
 * component runs before a cluster pass; no packet goes to a pod IP.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { KubeClient } from '../../kube/client.js';
import { loadKubeConfig } from '../../kube/kubeconfig.js';
import { Resources } from '../../kube/resources.js';
import type { KubeObject } from '../../workload/types.js';
import {
  applyCr,
  createNamespace,
  deleteNamespace,
  getCr,
  installCrd,
  kubectl,
  requireKubeconfig,
  waitFor,
} from '../../integration/support.js';
import { REDIS_SHARD_LABEL, redisSelector } from '../labels.js';
import { clusterPodsFromPods, controlledStatefulSets } from '../redis/reconcile.js';

const NAME = 'members';
const LABELS = { ...redisSelector(NAME), [REDIS_SHARD_LABEL]: '0' };
const SELECTOR = `app.kubernetes.io/name=redis,app.kubernetes.io/instance=${NAME}`;
const podSpec = {
  nodeSelector: { type: 'kwok' },
  containers: [{ name: 'redis', image: 'registry.local/redis:7' }],
};
let ns = '';
let uid = '';
let client: KubeClient;

function statefulSet(name: string, owned: boolean, extra: Record<string, string> = {}): object {
  const owner = {
    apiVersion: 'chatfleet.io/v1alpha1',
    kind: 'ChatbotDeployment',
    name: NAME,
    uid,
    controller: true,
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: ns, labels: LABELS, ...(owned ? { ownerReferences: [owner] } : {}) },
    spec: {
      replicas: 1,
      serviceName: name,
      selector: { matchLabels: { ...LABELS, ...extra, set: name } },
      template: { metadata: { labels: { ...LABELS, ...extra, set: name } }, spec: podSpec },
    },
  };
}

const apply = (obj: object): Promise<string> => kubectl(['apply', '-f', '-'], JSON.stringify(obj));

async function running(): Promise<KubeObject[]> {
  const pods = (await client.list(Resources.Pod, ns, { labelSelector: SELECTOR })).items;
  return pods.filter((p) => (p.status as { podIP?: string } | undefined)?.podIP);
}

beforeAll(async () => {
  requireKubeconfig();
  await installCrd();
  client = await KubeClient.create(loadKubeConfig(process.env).kc);
  ns = await createNamespace('redis-members');
  await applyCr(ns, NAME);
  uid = (await getCr(ns, NAME)).metadata.uid;
  await apply(statefulSet(`${NAME}-redis-shard-0`, true));
  await waitFor('the Redis pod', async () => ((await running()).length === 1 ? true : undefined), 90_000);
});

afterAll(async () => {
  if (ns) await deleteNamespace(ns);
  client?.close();
});

describe('Redis Cluster membership against the real API server', () => {
  it('only pods of the CR-controlled StatefulSet are members; spoofed pods are ignored', async () => {
    // 1. An attacker's StatefulSet with the same labels (not owned by the CR); its pod is members-evil-0.
    await apply(statefulSet(`${NAME}-evil`, false, { evil: 'yes' }));
    // 2. A bare pod named like a member, with the labels copied.
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${NAME}-redis-shard-0-1`, namespace: ns, labels: LABELS },
      spec: podSpec,
    });
    // 3. A pod whose ownerReference names the real StatefulSet with a forged uid. The garbage collector
    // deletes it within a second; the object the API server returned is what an informer would see.
    const forged: KubeObject = JSON.parse(
      await kubectl(
        ['create', '-o', 'json', '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: `${NAME}-redis-shard-0-2`,
            namespace: ns,
            labels: LABELS,
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'StatefulSet',
                name: `${NAME}-redis-shard-0`,
                uid: randomUUID(),
                controller: true,
              },
            ],
          },
          spec: podSpec,
        }),
      ),
    );
    const pods = await waitFor('the spoofed pods running', async () => {
      const list = await running();
      const names = list.map((p) => p.metadata.name);
      return names.includes(`${NAME}-evil-0`) && names.includes(`${NAME}-redis-shard-0-1`) ? list : undefined;
    });
    // kwok gives the forged pod an IP only if it lives long enough: give it one, it must not matter.
    const all = [
      ...pods.filter((p) => p.metadata.name !== forged.metadata.name),
      { ...forged, status: { phase: 'Running', podIP: '127.0.0.2' } },
    ];
    const sets = (await client.list(Resources.StatefulSet, ns, { labelSelector: SELECTOR })).items;
    expect(sets).toHaveLength(2);

    // Without the filter (the old behaviour) every spoofed pod would have been a member.
    expect(clusterPodsFromPods(all).map((p) => p.name)).toHaveLength(4);
    const members = clusterPodsFromPods(all, controlledStatefulSets(uid, sets));
    expect(members.map((p) => p.name)).toEqual([`${NAME}-redis-shard-0-0`]);
  });
});
