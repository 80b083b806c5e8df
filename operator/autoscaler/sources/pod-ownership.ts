/**
 * Only pods the fleet controls are scraped and counted. Labels prove nothing: anyone who may create
 * pods in the namespace can copy them, and a spoofed pod's /metrics would steer the fleet's scaling.
 * So a pod counts only if its ownerReference chain ends at the CR:
 *   pod --controller--> ReplicaSet (uid checked) --controller--> Deployment <name> or <name>-canary
 *   (the cached one, uid checked) --controller--> this ChatbotDeployment (uid checked).
 * The ReplicaSet is the one link not in the operator's caches; it is read with a GET once per
 * ReplicaSet uid and remembered (a ReplicaSet's uid and controller do not change in practice), so a
 * fleet at steady state costs no requests. An unknown uid is re-checked at most every negativeTtlMs.
 */
import type { ResourceKind } from '../../kube/resources.js';
import { KIND, type KubeObject } from '../../workload/types.js';

export const REPLICA_SET: ResourceKind = {
  group: 'apps',
  version: 'v1',
  plural: 'replicasets',
  kind: 'ReplicaSet',
  namespaced: true,
};

/** The one read this needs; KubeClient satisfies it. */
export interface ReplicaSetReader {
  get(r: ResourceKind, namespace: string | undefined, name: string): Promise<KubeObject | undefined>;
}

export interface PodOwnershipOptions {
  now?: () => number;
  /** How long a ReplicaSet uid that did not verify stays rejected before it is looked up again. */
  negativeTtlMs?: number;
  /** Remembered ReplicaSets, oldest forgotten first. */
  maxEntries?: number;
}

/** What is read of the CR: its namespace and uid. */
export interface OwnerCr {
  metadata: { namespace?: string | undefined; uid?: string | undefined };
}

interface OwnerRef {
  apiVersion?: string;
  kind?: string;
  name?: string;
  uid?: string;
  controller?: boolean;
}

/** The controller ownerReference of an object, if any. PURE. */
export function controllerOf(obj: KubeObject | undefined): OwnerRef | undefined {
  const refs = (obj?.metadata.ownerReferences ?? []) as OwnerRef[];
  return refs.find((r) => r.controller === true);
}

/** uid of each given Deployment that the CR controls. PURE. */
export function controlledDeploymentUids(
  cbd: OwnerCr,
  deployments: readonly (KubeObject | undefined)[],
): Set<string> {
  const uids = new Set<string>();
  for (const d of deployments) {
    const ref = controllerOf(d);
    const uid = d?.metadata.uid;
    if (uid && ref?.kind === KIND && ref.uid !== undefined && ref.uid === cbd.metadata.uid) uids.add(uid);
  }
  return uids;
}

type Verdict = { deploymentUid: string } | { rejectedAt: number };

export class PodOwnership {
  /** ReplicaSet uid -> the uid of the Deployment controlling it, or when it failed to verify. */
  private readonly replicaSets = new Map<string, Verdict>();
  private readonly lookups = new Map<string, Promise<string | undefined>>();
  private readonly now: () => number;
  private readonly negativeTtlMs: number;
  private readonly maxEntries: number;

  constructor(
    private readonly kube: ReplicaSetReader,
    opts: PodOwnershipOptions = {},
  ) {
    this.now = opts.now ?? (() => performance.now());
    this.negativeTtlMs = opts.negativeTtlMs ?? 60_000;
    this.maxEntries = opts.maxEntries ?? 10_000;
  }

  /** The pods among `pods` that the CR controls through one of `deployments` (its stable and canary). */
  async controlled(
    cbd: OwnerCr,
    deployments: readonly (KubeObject | undefined)[],
    pods: readonly KubeObject[],
  ): Promise<KubeObject[]> {
    const allowed = controlledDeploymentUids(cbd, deployments);
    if (allowed.size === 0) return [];
    const namespace = cbd.metadata.namespace ?? '';
    const verdicts = await Promise.all(
      pods.map(async (pod) => {
        const ref = controllerOf(pod);
        if (ref?.kind !== 'ReplicaSet' || ref.apiVersion !== 'apps/v1' || !ref.uid || !ref.name) return false;
        if (pod.metadata.namespace !== undefined && pod.metadata.namespace !== namespace) return false;
        const owner = await this.deploymentOf(namespace, ref.name, ref.uid);
        return owner !== undefined && allowed.has(owner);
      }),
    );
    return pods.filter((_, i) => verdicts[i]);
  }

  /** uid of the Deployment controlling ReplicaSet `name` if that ReplicaSet has uid `uid`. */
  private async deploymentOf(namespace: string, name: string, uid: string): Promise<string | undefined> {
    const known = this.replicaSets.get(uid);
    if (known && 'deploymentUid' in known) return known.deploymentUid;
    if (known && this.now() - known.rejectedAt < this.negativeTtlMs) return undefined;
    // Pods of one ReplicaSet are checked together: one GET for all of them.
    const key = `${namespace}/${name}/${uid}`;
    const pending = this.lookups.get(key) ?? this.lookup(namespace, name, uid);
    this.lookups.set(key, pending);
    try {
      return await pending;
    } finally {
      this.lookups.delete(key);
    }
  }

  private async lookup(namespace: string, name: string, uid: string): Promise<string | undefined> {
    let rs: KubeObject | undefined;
    try {
      rs = await this.kube.get(REPLICA_SET, namespace, name);
    } catch {
      return undefined; // not verified this time (API error): not remembered, asked again next time
    }
    const ref = controllerOf(rs);
    const verified = rs?.metadata.uid === uid && ref?.kind === 'Deployment' && ref.uid ? ref.uid : undefined;
    this.remember(uid, verified ? { deploymentUid: verified } : { rejectedAt: this.now() });
    return verified;
  }

  private remember(uid: string, verdict: Verdict): void {
    this.replicaSets.delete(uid);
    this.replicaSets.set(uid, verdict);
    if (this.replicaSets.size > this.maxEntries) {
      const oldest = this.replicaSets.keys().next().value;
      if (oldest !== undefined) this.replicaSets.delete(oldest);
    }
  }
}
