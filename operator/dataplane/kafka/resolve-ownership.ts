/**
 * Resolves which of a CR's declared topics it owns, writing the claims it needs on the way: the I/O
 * around the pure decideOwnership (./ownership.ts). Runs before any change on the broker, so a topic is
 * created only once its claim is stored.
 */
import { errorMessage } from '../../kube/errors.js';
import { TopicOwnershipError } from './errors.js';
import { claimStanding, decideOwnership, holderOf, holderText, isHeldBy } from './ownership.js';
import type { ClaimHolder, OwnershipDecision, TopicClaim } from './ownership.js';
import type { TopicOwnership } from './claims.js';
import type { DesiredTopic } from './topics.js';
import type { ChatbotDeployment } from '../types.js';

export interface TopicOwnershipResult {
  /** Declared topics this CR may change (and create). */
  managed: Set<string>;
  /** Topic -> why it is left untouched (TopicNotOwned). */
  notOwned: Map<string, string>;
  /** Topic -> which other CR owns it (TopicConflict). */
  conflicts: Map<string, string>;
  /** The claims this CR holds after the pass, by topic. */
  claims: Map<string, TopicClaim>;
}

/** Runs a claim-store call; its failures become TopicOwnershipError (the API server, not Kafka). */
export async function ownershipCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err: unknown) {
    throw new TopicOwnershipError(`${what}: ${errorMessage(err)}`, { cause: err });
  }
}

interface Context {
  clusterId: string;
  self: ClaimHolder;
  store: TopicOwnership;
  /** Skip the cache of our own claims (after a spec change: see TopicsDeps.freshClaims). */
  fresh: boolean;
}

interface Decided {
  decision: OwnershipDecision;
  claim: TopicClaim | undefined;
}

async function decide(ctx: Context, topic: DesiredTopic, exists: boolean): Promise<Decided> {
  const { clusterId, self, store } = ctx;
  let claim = await ownershipCall('reading a topic claim', () =>
    store.get(clusterId, topic.name, { fresh: ctx.fresh }),
  );
  // The cache only speeds up claims we hold; anyone else's is always read fresh.
  if (claim && !isHeldBy(claim, self) && !ctx.fresh) {
    claim = await ownershipCall('reading a topic claim', () =>
      store.get(clusterId, topic.name, { fresh: true }),
    );
  }
  let holderCr: ChatbotDeployment | undefined;
  if (claim && !isHeldBy(claim, self)) {
    const holder = claim.holder;
    holderCr = await ownershipCall(`reading ${holderText(holder)}`, () => store.readHolder(holder));
  }
  const standing = claim ? claimStanding(claim, self, holderCr) : undefined;
  return { decision: decideOwnership({ topic, exists, claim, standing }), claim };
}

function record(result: TopicOwnershipResult, d: OwnershipDecision): void {
  if (d.kind === 'owned') result.managed.add(d.topic);
  else if (d.kind === 'notOwned') result.notOwned.set(d.topic, d.message);
  else if (d.kind === 'conflict') result.conflicts.set(d.topic, d.message);
}

/**
 * A claim decision: store the claim (a create, or a takeover conditional on the stale claim's
 * resourceVersion). Losing that race to another writer means re-reading: the winner is usually
 * another CR, which makes it a conflict.
 */
async function settle(
  ctx: Context,
  topic: DesiredTopic,
  exists: boolean,
  result: TopicOwnershipResult,
): Promise<void> {
  let { decision: d, claim: current } = await decide(ctx, topic, exists);
  for (let attempt = 0; d.kind === 'claim' && attempt < 2; attempt++) {
    const claim: TopicClaim = {
      clusterId: ctx.clusterId,
      topic: topic.name,
      holder: ctx.self,
      adopted: d.adopted,
    };
    const replaces = d.replaces;
    if (await ownershipCall('writing a topic claim', () => ctx.store.write(claim, replaces))) {
      result.managed.add(topic.name);
      result.claims.set(topic.name, claim);
      return;
    }
    ({ decision: d, claim: current } = await decide(ctx, topic, exists));
  }
  if (d.kind === 'claim') {
    result.conflicts.set(topic.name, `topic ${topic.name}: its claim keeps changing; retrying`);
    return;
  }
  if (d.kind === 'owned' && current) result.claims.set(topic.name, current);
  record(result, d);
}

export async function resolveTopicOwnership(
  cbd: ChatbotDeployment,
  desired: readonly DesiredTopic[],
  existing: ReadonlySet<string>,
  clusterId: string,
  store: TopicOwnership,
  fresh = false,
): Promise<TopicOwnershipResult> {
  const ctx: Context = { clusterId, self: holderOf(cbd), store, fresh };
  const result: TopicOwnershipResult = {
    managed: new Set(),
    notOwned: new Map(),
    conflicts: new Map(),
    claims: new Map(),
  };
  for (const topic of desired) await settle(ctx, topic, existing.has(topic.name), result);
  return result;
}
