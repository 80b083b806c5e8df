import { describe, expect, it } from '@jest/globals';
import type { ResourceKind } from '../../kube/resources.js';
import type { KubeObject } from '../../workload/types.js';
import { PodOwnership } from './pod-ownership.js';

const CR = { metadata: { namespace: 'shop', uid: 'cr-uid' } };
const ctl = (kind: string, uid: string, name = 'x', apiVersion = 'apps/v1') => ({
  apiVersion,
  kind,
  name,
  uid,
  controller: true,
});
const obj = (name: string, uid: string, owner?: ReturnType<typeof ctl>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'X',
  metadata: { name, namespace: 'shop', uid, ...(owner ? { ownerReferences: [owner] } : {}) },
});
const stable = obj(
  'helpdesk',
  'dep-uid',
  ctl('ChatbotDeployment', 'cr-uid', 'helpdesk', 'chatfleet.io/v1alpha1'),
);

/** The ReplicaSets the API server would return, by name; counts the reads. */
function reader(replicaSets: KubeObject[]) {
  const calls: string[] = [];
  return {
    calls,
    get: (_r: ResourceKind, _ns: string | undefined, name: string) => {
      calls.push(name);
      if (name === 'boom') return Promise.reject(new Error('503'));
      return Promise.resolve(replicaSets.find((rs) => rs.metadata.name === name));
    },
  };
}

const realRs = obj('helpdesk-abc', 'rs-uid', ctl('Deployment', 'dep-uid', 'helpdesk'));
const evilRs = obj('helpdesk-evil', 'evil-uid');

describe('PodOwnership.controlled', () => {
  it.each([
    { name: 'a pod of the fleet ReplicaSet', owner: ctl('ReplicaSet', 'rs-uid', 'helpdesk-abc'), kept: true },
    { name: 'no ownerReference', owner: undefined, kept: false },
    { name: 'forged ReplicaSet uid', owner: ctl('ReplicaSet', 'forged', 'helpdesk-abc'), kept: false },
    {
      name: 'an orphan ReplicaSet of its own',
      owner: ctl('ReplicaSet', 'evil-uid', 'helpdesk-evil'),
      kept: false,
    },
    { name: 'owned by a Deployment directly', owner: ctl('Deployment', 'dep-uid', 'helpdesk'), kept: false },
    {
      name: 'ReplicaSet kind in another group',
      owner: ctl('ReplicaSet', 'rs-uid', 'helpdesk-abc', 'x/v1'),
      kept: false,
    },
    { name: 'a ReplicaSet that is gone', owner: ctl('ReplicaSet', 'rs-uid', 'gone'), kept: false },
  ])('$name -> kept=$kept', async ({ owner, kept }) => {
    const ownership = new PodOwnership(reader([realRs, evilRs]));
    const pod = obj('p', 'pod-uid', owner);
    expect(await ownership.controlled(CR, [stable], [pod])).toEqual(kept ? [pod] : []);
  });

  it('no Deployment controlled by the CR: nothing counts, nothing is read', async () => {
    const r = reader([realRs]);
    const foreign = obj('helpdesk', 'dep-uid', ctl('ChatbotDeployment', 'other-cr', 'helpdesk'));
    const pod = obj('p', 'pod-uid', ctl('ReplicaSet', 'rs-uid', 'helpdesk-abc'));
    expect(await new PodOwnership(r).controlled(CR, [foreign, undefined], [pod])).toEqual([]);
    expect(r.calls).toEqual([]);
  });

  it('one read per ReplicaSet, remembered; rejections re-checked after the TTL; API errors not remembered', async () => {
    let now = 0;
    const r = reader([realRs]);
    const ownership = new PodOwnership(r, { now: () => now, negativeTtlMs: 60_000 });
    const pods = [1, 2, 3].map((i) => obj(`p${i}`, `u${i}`, ctl('ReplicaSet', 'rs-uid', 'helpdesk-abc')));
    const spoof = obj('s', 'us', ctl('ReplicaSet', 'forged', 'helpdesk-abc'));
    const failing = obj('f', 'uf', ctl('ReplicaSet', 'rs2', 'boom'));
    expect(await ownership.controlled(CR, [stable], [...pods, spoof, failing])).toEqual(pods);
    expect(r.calls.sort()).toEqual(['boom', 'helpdesk-abc', 'helpdesk-abc']);
    await ownership.controlled(CR, [stable], [...pods, spoof, failing]);
    expect(r.calls).toHaveLength(4); // only the failed read is retried
    now = 61_000;
    await ownership.controlled(CR, [stable], [...pods, spoof]);
    expect(r.calls).toHaveLength(5); // the rejected uid is looked up again after the TTL
  });
});
