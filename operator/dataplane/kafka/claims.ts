/**
 * Topic claims stored as ConfigMaps in the operator's namespace (why there: ./ownership.ts), and the
 * lookup of a claim's holder CR. The only I/O of topic ownership; all decisions are in ./ownership.ts.
 *
 *   kubectl -n <operator namespace> get configmaps -l chatfleet.io/kafka-topic-claim=true \
 *     -o custom-columns=TOPIC:.data.topic,HOLDER:.data.holderName,NS:.data.holderNamespace
 *
 * Deleting a claim by hand releases the topic: the next reconcile of its CR then finds an existing
 * topic without a claim (TopicNotOwned, until adopted). The operator re-reads claims it holds at least
 * every CACHE_TTL_MS, and on the first pass after each spec change of their CR.
 */
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { KubeClient } from '../../kube/client.js';
import { isConflict } from '../../kube/errors.js';
import { Resources } from '../../kube/resources.js';
import { FIELD_MANAGER } from '../../workload/labels.js';
import type { KubeObject } from '../../workload/types.js';
import type { ChatbotDeployment } from '../types.js';
import { claimName, holderLabelValue } from './ownership.js';
import type { ClaimHolder, TopicClaim } from './ownership.js';

export const CLAIM_LABEL = 'chatfleet.io/kafka-topic-claim';
export const HOLDER_LABEL = 'chatfleet.io/kafka-topic-holder';
const CACHE_TTL_MS = 10 * 60_000;
const CACHE_MAX = 10_000;

/** The reads and writes claims need; KubeClient satisfies it. */
export type ClaimsKube = Pick<KubeClient, 'get' | 'create' | 'apply' | 'delete' | 'list'>;

/** Ownership records of topics, and who holds them (see ./ownership.ts for the rules). */
export interface TopicOwnership {
  /** The claim of a topic; `fresh` skips the cache (which only ever holds claims read or written here). */
  get(clusterId: string, topic: string, opts?: { fresh?: boolean }): Promise<TopicClaim | undefined>;
  /**
   * Writes a claim: a create when `replaces` is undefined, else a takeover conditional on the
   * replaced claim's resourceVersion. false: another writer got there first (409).
   */
  write(claim: TopicClaim, replaces: TopicClaim | undefined): Promise<boolean>;
  /** Deletes a claim (its topic is gone, or was never ours); already gone is fine. */
  release(claim: TopicClaim): Promise<void>;
  /** Every claim held by this namespace/name, on any Kafka cluster. */
  listHeldBy(holder: ClaimHolder): Promise<TopicClaim[]>;
  /** The holder CR as it is now, or undefined when it does not exist. */
  readHolder(holder: ClaimHolder): Promise<ChatbotDeployment | undefined>;
}

interface ClaimObject extends KubeObject {
  data?: Record<string, string>;
}

/** The ConfigMap of a claim (a kubernetes-models typed object; written as its toJSON()). PURE. */
export function claimObject(claim: TopicClaim, namespace: string): ConfigMap {
  return new ConfigMap({
    metadata: {
      name: claimName(claim.clusterId, claim.topic),
      namespace,
      labels: { [CLAIM_LABEL]: 'true', [HOLDER_LABEL]: holderLabelValue(claim.holder) },
      ...(claim.resourceVersion ? { resourceVersion: claim.resourceVersion } : {}),
    },
    data: {
      topic: claim.topic,
      clusterId: claim.clusterId,
      holderNamespace: claim.holder.namespace,
      holderName: claim.holder.name,
      holderUid: claim.holder.uid ?? '',
      adopted: String(claim.adopted),
    },
  });
}

/**
 * A claim from its ConfigMap. PURE. A record with missing fields (edited by hand) reads as held by
 * nobody that exists, so it is stale: it never makes a topic someone's.
 */
export function parseClaim(obj: ClaimObject): TopicClaim {
  const d = obj.data ?? {};
  const uid = d.holderUid ?? '';
  return {
    clusterId: d.clusterId ?? '',
    topic: d.topic ?? '',
    holder: { namespace: d.holderNamespace ?? '', name: d.holderName ?? '', ...(uid ? { uid } : {}) },
    adopted: d.adopted === 'true',
    ...(obj.metadata.resourceVersion ? { resourceVersion: obj.metadata.resourceVersion } : {}),
  };
}

export class KubeTopicOwnership implements TopicOwnership {
  private readonly cache = new Map<string, { claim: TopicClaim; at: number }>();

  constructor(
    private readonly kube: ClaimsKube,
    /** The operator's namespace (--topic-ownership-namespace). */
    private readonly namespace: string,
    private readonly now: () => number = Date.now,
  ) {}

  async get(
    clusterId: string,
    topic: string,
    opts: { fresh?: boolean } = {},
  ): Promise<TopicClaim | undefined> {
    const name = claimName(clusterId, topic);
    const hit = this.cache.get(name);
    if (!opts.fresh && hit && this.now() - hit.at < CACHE_TTL_MS) return hit.claim;
    const obj = await this.kube.get<ClaimObject>(Resources.ConfigMap, this.namespace, name);
    if (!obj) {
      this.cache.delete(name);
      return undefined;
    }
    return this.remember(name, parseClaim(obj));
  }

  async write(claim: TopicClaim, replaces: TopicClaim | undefined): Promise<boolean> {
    const name = claimName(claim.clusterId, claim.topic);
    this.cache.delete(name);
    // A takeover without the version it replaces would be unconditional: treat it as a lost race.
    if (replaces && !replaces.resourceVersion) return false;
    try {
      const written = replaces
        ? await this.kube.apply<ClaimObject>(
            claimObject(
              { ...claim, resourceVersion: replaces.resourceVersion },
              this.namespace,
            ).toJSON() as ClaimObject,
            FIELD_MANAGER,
            { resource: Resources.ConfigMap },
          )
        : await this.kube.create<ClaimObject>(
            Resources.ConfigMap,
            this.namespace,
            claimObject(claim, this.namespace).toJSON(),
          );
      this.remember(name, parseClaim(written));
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  async release(claim: TopicClaim): Promise<void> {
    const name = claimName(claim.clusterId, claim.topic);
    this.cache.delete(name);
    await this.kube.delete(Resources.ConfigMap, this.namespace, name);
  }

  async listHeldBy(holder: ClaimHolder): Promise<TopicClaim[]> {
    const labelSelector = `${CLAIM_LABEL}=true,${HOLDER_LABEL}=${holderLabelValue(holder)}`;
    const list = await this.kube.list<ClaimObject>(Resources.ConfigMap, this.namespace, { labelSelector });
    return list.items
      .map(parseClaim)
      .filter((c) => c.holder.namespace === holder.namespace && c.holder.name === holder.name);
  }

  async readHolder(holder: ClaimHolder): Promise<ChatbotDeployment | undefined> {
    if (!holder.namespace || !holder.name) return undefined;
    return this.kube.get<ChatbotDeployment>(Resources.ChatbotDeployment, holder.namespace, holder.name);
  }

  private remember(name: string, claim: TopicClaim): TopicClaim {
    this.cache.delete(name);
    if (this.cache.size >= CACHE_MAX) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(name, { claim, at: this.now() });
    return claim;
  }
}
