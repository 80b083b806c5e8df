/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment --
   Raw Kubernetes JSON from kubectl. */
/**
 * Only pods the fleet controls count, against the REAL API server, controller-manager and kwok nodes:
 * the fleet's Deployments (stable and canary) create their pods through real ReplicaSets; an attacker
 * creates pods with copied labels (with no owner, with a forged ReplicaSet ownerReference) and a
 * ReplicaSet of their own. PodOwnership keeps exactly the fleet's pods, with no GET at steady state.
 * No packet goes to a pod IP: only the ownership is checked here.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { KubeClient } from '../../kube/client.js';
import { loadKubeConfig } from '../../kube/kubeconfig.js';
import { Resources, type ResourceKind } from '../../kube/resources.js';
import type { KubeObject } from '../../workload/types.js';
import {
  applyCr,
  createNamespace,
  deleteNamespace,
  getCr,
  installCrd,
  kubectl,
  kubectlJson,
  requireKubeconfig,
  waitFor,
} from '../../integration/support.js';
import { PodOwnership, type OwnerCr } from '../sources/pod-ownership.js';

const NAME = 'owned';
const LABELS = { 'app.kubernetes.io/name': 'chatbot', 'app.kubernetes.io/instance': NAME };
let ns = '';
let client: KubeClient;
let cbd: OwnerCr;

const podSpec = {
  nodeSelector: { type: 'kwok' },
  containers: [{ name: 'bot', image: 'registry.local/chatfleet-bot:1.0' }],
};

function deployment(name: string, replicas: number): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: ns,
      ownerReferences: [
        {
          apiVersion: 'chatfleet.io/v1alpha1',
          kind: 'ChatbotDeployment',
          name: NAME,
          uid: cbd.metadata.uid,
          controller: true,
        },
      ],
    },
    spec: {
      replicas,
      selector: { matchLabels: { ...LABELS, track: name } },
      template: { metadata: { labels: { ...LABELS, track: name } }, spec: podSpec },
    },
  };
}

async function apply(obj: object): Promise<void> {
  await kubectl(['apply', '-f', '-'], JSON.stringify(obj));
}

async function fleetPods(): Promise<KubeObject[]> {
  const list = await client.list(Resources.Pod, ns, { labelSelector: `app.kubernetes.io/instance=${NAME}` });
  return list.items;
}

beforeAll(async () => {
  requireKubeconfig();
  await installCrd();
  client = await KubeClient.create(loadKubeConfig(process.env).kc);
  ns = await createNamespace('own-pods');
  await applyCr(ns, NAME);
  cbd = (await getCr(ns, NAME)) as OwnerCr;
  await apply(deployment(NAME, 2));
  await apply(deployment(`${NAME}-canary`, 1));
  await waitFor('3 fleet pods', async () => ((await fleetPods()).length === 3 ? true : undefined), 90_000);
});

afterAll(async () => {
  if (ns) await deleteNamespace(ns);
  client?.close();
});

describe('PodOwnership against the real API server', () => {
  it('keeps the pods of the CR-controlled Deployments and drops spoofed ones', async () => {
    const genuine = (await fleetPods()).map((p) => p.metadata.name).sort();
    const realRs = (await kubectlJson(['-n', ns, 'get', 'replicasets', '-l', `track=${NAME}`])).items[0];
    // 1. Copied labels, no owner (a pod-template-hash no ReplicaSet selects, so nothing adopts it).
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'spoof-orphan',
        namespace: ns,
        labels: { ...LABELS, 'pod-template-hash': 'spoofed' },
      },
      spec: podSpec,
    });
    // 2. Copied labels and an ownerReference naming the real ReplicaSet, with a forged uid.
    // The garbage collector deletes it within a second (its owner uid does not exist), but an informer
    // sees it meanwhile: keep the object the API server returned.
    const forged: KubeObject = JSON.parse(
      await kubectl(
        ['create', '-o', 'json', '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: 'spoof-forged-owner',
            namespace: ns,
            labels: { ...LABELS, 'pod-template-hash': 'forged' },
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'ReplicaSet',
                name: realRs.metadata.name,
                uid: randomUUID(),
                controller: true,
              },
            ],
          },
          spec: podSpec,
        }),
      ),
    );
    // 3. A ReplicaSet of the attacker's own: its pods really are controlled, but not by the fleet.
    await apply({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: `${NAME}-evil`, namespace: ns },
      spec: {
        replicas: 1,
        selector: { matchLabels: { ...LABELS, evil: 'yes' } },
        template: { metadata: { labels: { ...LABELS, evil: 'yes' } }, spec: podSpec },
      },
    });
    const listed = await waitFor('the spoofed pods', async () => {
      const pods = await fleetPods();
      const names = pods.map((p) => p.metadata.name ?? '');
      const ready = names.includes('spoof-orphan') && names.some((n) => n.startsWith(`${NAME}-evil-`));
      return ready ? pods : undefined;
    });
    const all = [...listed.filter((p) => p.metadata.name !== 'spoof-forged-owner'), forged];
    expect(all.length).toBe(genuine.length + 3);

    let gets = 0;
    const counting = {
      get: (r: ResourceKind, namespace: string | undefined, name: string) => {
        gets++;
        return client.get(r, namespace, name);
      },
    };
    const ownership = new PodOwnership(counting);
    const deployments = await Promise.all([
      client.get(Resources.Deployment, ns, NAME),
      client.get(Resources.Deployment, ns, `${NAME}-canary`),
    ]);
    const kept = await ownership.controlled(cbd, deployments, all);
    expect(kept.map((p) => p.metadata.name).sort()).toEqual(genuine);
    const firstGets = gets;
    console.log(`${all.length} pods, ${kept.length} kept, ${firstGets} ReplicaSet GETs on the first pass`);
    expect(firstGets).toBe(4); // stable RS, canary RS, evil RS, forged uid: once each

    // Steady state: every verdict is remembered, no request at all.
    const again = await ownership.controlled(cbd, deployments, all);
    expect(again.map((p) => p.metadata.name).sort()).toEqual(genuine);
    expect(gets).toBe(firstGets);

    // Without the canary Deployment (no rollout), its pods no longer count.
    const stableOnly = await ownership.controlled(cbd, [deployments[0]], all);
    expect(stableOnly).toHaveLength(2);
    // A Deployment not controlled by this CR counts for nothing.
    const otherCr = { metadata: { namespace: ns, uid: randomUUID() } };
    expect(await ownership.controlled(otherCr, deployments, all)).toEqual([]);
  });
});
