/**
 * Topic ownership. PURE: which of a CR's topics the operator may change or delete, from the topic's
 * existence on the broker and the ownership record ("claim") of that topic.
 *
 * Why a claim, and why where it is. Kafka has no place for an owner: a topic config it does not
 * know is refused, and broker state cannot tell "created by the operator" from "created by hand".
 * So the fact "ChatbotDeployment ns/name created (or adopted) topic T on Kafka cluster C" is kept as
 * one ConfigMap per (cluster, topic) in the operator's own namespace (./claims.ts). That place is
 * chosen over the alternatives because:
 * - it is atomic: the ConfigMap's name is derived from (cluster id, topic), so two CRs claiming the
 *   same topic race on one POST and exactly one wins (409 for the other), in any namespaces;
 * - tenants cannot forge it: a record in the tenant's namespace (a ConfigMap owned by the CR) or in
 *   the CR's status could be written by the tenant to "own" another team's topic and then delete it
 *   through deletionPolicy Delete; the operator's namespace is not writable by tenants;
 * - it survives operator restarts and a lost or restored CR status, and names the holder, so a
 *   second CR gets TopicConflict naming the first;
 * - it is keyed by the Kafka cluster id (DescribeCluster), not by the bootstrap list, so two spellings
 *   of one cluster's addresses are one cluster.
 * A claim is written only after the topic was seen absent, and before it is created: "the topic did
 * not exist before we claimed it". A crash between the claim and the create leaves a claim whose
 * topic is created on the next pass. The remaining window (a third party creating the topic in the
 * milliseconds between our listing and our create) is closed by the create itself: Kafka answers
 * TOPIC_ALREADY_EXISTS, and the claim is released (./reconcile.ts).
 * The holder is identified by namespace/name (the uid is recorded for humans): re-creating a CR
 * under the same name in the same namespace (the tenancy boundary) takes its retained topics back.
 * A claim whose holder no longer exists, or no longer declares the topic, is stale: it no longer
 * makes the topic anyone's, but an existing topic is still only managed again through adopt.
 */
import { createHash } from 'node:crypto';
import { desiredTopics } from './topics.js';
import type { DesiredTopic } from './topics.js';
import type { ChatbotDeployment } from '../types.js';
import { nameOf, namespaceOf } from '../identity.js';

export interface ClaimHolder {
  namespace: string;
  name: string;
  uid?: string;
}

export interface TopicClaim {
  /** Kafka cluster id (DescribeCluster) the topic lives on. */
  clusterId: string;
  topic: string;
  holder: ClaimHolder;
  /** true: the topic existed and the holder adopted it (spec adopt: true); false: the holder created it. */
  adopted: boolean;
  /** metadata.resourceVersion of the stored record; a takeover is conditional on it. */
  resourceVersion?: string;
}

/** How a claim relates to the CR being reconciled. */
export type ClaimStanding =
  /** Held by this CR. */
  | 'self'
  /** Held by another CR that exists and still declares the topic. */
  | 'held'
  /** Held by a CR that is gone or no longer declares (or adopts) the topic. */
  | 'stale';

export type OwnershipDecision =
  | { kind: 'owned'; topic: string }
  /** Write (or take over) the claim, then manage the topic: create it, or adopt the existing one. */
  | { kind: 'claim'; topic: string; adopted: boolean; replaces: TopicClaim | undefined }
  | { kind: 'notOwned'; topic: string; message: string }
  | { kind: 'conflict'; topic: string; holder: ClaimHolder; message: string };

export interface OwnershipInput {
  topic: DesiredTopic;
  /** The topic is listed on the broker. */
  exists: boolean;
  claim: TopicClaim | undefined;
  /** Required when claim is set. */
  standing: ClaimStanding | undefined;
}

export const CLAIM_NAME_PREFIX = 'chatfleet-topic-';

function digest(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** The claim's object name: fixed per (cluster, topic), which makes claiming a single atomic create. */
export function claimName(clusterId: string, topic: string): string {
  return `${CLAIM_NAME_PREFIX}${digest(`${clusterId}/${topic}`, 40)}`;
}

/** A label value (<= 63 chars) selecting every claim of one holder (namespace/name can be longer). */
export function holderLabelValue(holder: Pick<ClaimHolder, 'namespace' | 'name'>): string {
  return digest(`${holder.namespace}/${holder.name}`, 40);
}

export function holderOf(cbd: ChatbotDeployment): ClaimHolder {
  const { uid } = cbd.metadata;
  const namespace = namespaceOf(cbd);
  const name = nameOf(cbd);
  return uid ? { namespace, name, uid } : { namespace, name };
}

export function holderText(holder: ClaimHolder): string {
  return `ChatbotDeployment ${holder.namespace}/${holder.name}`;
}

export function isHeldBy(claim: TopicClaim, holder: Pick<ClaimHolder, 'namespace' | 'name'>): boolean {
  return claim.holder.namespace === holder.namespace && claim.holder.name === holder.name;
}

/**
 * The standing of a claim for `self`, given the holder CR as read now (undefined: it does not exist).
 * A CR being deleted still holds its claims: it may be deleting the topic right now.
 */
export function claimStanding(
  claim: TopicClaim,
  self: Pick<ClaimHolder, 'namespace' | 'name'>,
  holderCr: ChatbotDeployment | undefined,
): ClaimStanding {
  if (isHeldBy(claim, self)) return 'self';
  if (!holderCr || !isHeldBy(claim, holderOf(holderCr))) return 'stale';
  const declared = desiredTopics(holderCr).find((t) => t.name === claim.topic);
  if (!declared) return 'stale';
  return claim.adopted && !declared.adopt ? 'stale' : 'held';
}

function notOwnedMessage(input: OwnershipInput): string {
  const base =
    `topic ${input.topic.name} already exists and was not created by this ChatbotDeployment: ` +
    `left untouched`;
  const hint = 'set adopt: true on it in spec.messaging.kafka.topics[] to manage it';
  if (input.claim && input.standing === 'stale') {
    return `${base} (created by ${holderText(input.claim.holder)}, which no longer declares it); ${hint}`;
  }
  if (input.claim && input.standing === 'self') {
    return `${base} (adopted earlier, but adopt is no longer set); ${hint}`;
  }
  return `${base}; ${hint}`;
}

/**
 * One topic's ownership:
 * - held by another CR                       -> conflict (also with adopt: a topic has one owner);
 * - ours                                     -> owned (created by us, or adopted and still adopt: true);
 * - ours but adopted and adopt now unset     -> not owned (or, when it is gone, claimed afresh to create);
 * - unclaimed or stale, absent on the broker -> claim, then create;
 * - unclaimed or stale, exists, adopt: true  -> claim as adopted, then manage;
 * - unclaimed or stale, exists               -> not owned, left untouched.
 */
export function decideOwnership(input: OwnershipInput): OwnershipDecision {
  const { topic, exists, claim, standing } = input;
  const name = topic.name;
  if (claim && standing === 'held') {
    return {
      kind: 'conflict',
      topic: name,
      holder: claim.holder,
      message: `topic ${name} is owned by ${holderText(claim.holder)}: left untouched`,
    };
  }
  if (claim && standing === 'self') {
    if (!claim.adopted || (exists && topic.adopt)) return { kind: 'owned', topic: name };
    // An adopted topic that is gone is created by us now: record it as created, not adopted.
    if (!exists) return { kind: 'claim', topic: name, adopted: false, replaces: claim };
    return { kind: 'notOwned', topic: name, message: notOwnedMessage(input) };
  }
  if (!exists) return { kind: 'claim', topic: name, adopted: false, replaces: claim };
  if (topic.adopt) return { kind: 'claim', topic: name, adopted: true, replaces: claim };
  return { kind: 'notOwned', topic: name, message: notOwnedMessage(input) };
}

export interface DeletionPlan {
  /** Claims of this CR whose topics deleting the CR deletes (with deletionPolicy Delete). */
  delete: TopicClaim[];
  /** Declared topics that are not this CR's to delete: they stay. */
  notOwned: string[];
}

/**
 * What deleting the CR deletes: the topics it declares AND owns (created, or adopted with adopt still
 * set). A declared topic without such a claim is never deleted, whatever deletionPolicy says.
 */
export function planDeletion(cbd: ChatbotDeployment, claims: readonly TopicClaim[]): DeletionPlan {
  const self = holderOf(cbd);
  const plan: DeletionPlan = { delete: [], notOwned: [] };
  for (const topic of desiredTopics(cbd)) {
    const mine = claims.filter(
      (c) => c.topic === topic.name && isHeldBy(c, self) && (!c.adopted || topic.adopt),
    );
    if (mine.length === 0) plan.notOwned.push(topic.name);
    else plan.delete.push(...mine);
  }
  return plan;
}
