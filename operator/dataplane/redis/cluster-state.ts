/**
 * Questions about the observed Redis Cluster (each node's own CLUSTER NODES / CLUSTER INFO /
 * INFO replication, parsed). PURE: the planner and the result builders ask them; nothing here
 * talks to a node.
 */
import type { ClusterShardState, RedisShardStatus } from '../types.js';
import { podLabel } from './cluster-node.js';
import type { ClusterPod, NodeView } from './cluster-node.js';
import { REBALANCE_THRESHOLD } from './cluster-types.js';
import type { ClusterTopology } from './cluster-types.js';
import { formatRanges, SLOT_COUNT, slotsToRanges, targetCounts } from './slot-plan.js';

/** Which expected (shard, ordinal) pods are missing. */
export function missingPods(topology: ClusterTopology, pods: readonly ClusterPod[]): string[] {
  const missing: string[] = [];
  for (let shard = 0; shard < topology.shards; shard++) {
    for (let ordinal = 0; ordinal <= topology.replicasPerShard; ordinal++) {
      if (!pods.some((p) => p.shard === shard && p.ordinal === ordinal))
        missing.push(`shard ${shard} pod ${ordinal}`);
    }
  }
  return missing;
}

/**
 * The shard's primary: the master among the shard's pods that owns slots (whatever its ordinal:
 * after a failover that is pod 1, and it stays so). Without one: undefined while a shard pod still
 * replicates a node that is not a pod (Redis is failing over; attaching anything now could make the
 * surviving replica resync from an empty node), else pod 0 if it is a master (bootstrap).
 */
export function shardPrimary(views: readonly NodeView[], shard: number): NodeView | undefined {
  const members = views.filter((v) => v.pod.shard === shard).sort((a, b) => a.pod.ordinal - b.pod.ordinal);
  const masters = members.filter((v) => v.self.flags.includes('master'));
  const serving = masters.find((v) => v.self.slots.length > 0);
  if (serving) return serving;
  const podIds = new Set(views.map((v) => v.id));
  if (members.some((v) => v.self.primaryId !== undefined && !podIds.has(v.self.primaryId))) return undefined;
  return masters.find((v) => v.pod.ordinal === 0) ?? masters[0];
}

/** The primaries of shards 0..shards-1 that have one, in shard order. */
export function shardPrimaries(views: readonly NodeView[], shards: number): NodeView[] {
  const primaries: NodeView[] = [];
  for (let shard = 0; shard < shards; shard++) {
    const p = shardPrimary(views, shard);
    if (p) primaries.push(p);
  }
  return primaries;
}

/** Shard count to keep: never fewer than the highest shard that still owns slots. */
export function activeShardCount(topology: ClusterTopology, views: readonly NodeView[]): number {
  const holding = views.filter((v) => v.self.slots.length > 0).map((v) => v.pod.shard);
  return Math.max(topology.shards, Math.max(-1, ...holding) + 1);
}

/** A shard being drained, or imbalance beyond the threshold for any primary? */
export function needsRebalance(
  owned: ReadonlyMap<string, readonly number[]>,
  primaries: readonly string[],
): boolean {
  const draining = [...owned].some(([id, slots]) => slots.length > 0 && !primaries.includes(id));
  if (draining) return true;
  const targets = targetCounts(owned, primaries);
  return primaries.some((id) => {
    const target = targets.get(id) ?? 0;
    const held = owned.get(id)?.length ?? 0;
    return Math.abs(held - target) > Math.max(1, target * REBALANCE_THRESHOLD);
  });
}

/** Per-shard status from each node's own CLUSTER NODES line. */
export function shardStatuses(views: readonly NodeView[], shards: number): ClusterShardState[] {
  const statuses: ClusterShardState[] = [];
  for (let shard = 0; shard < shards; shard++) {
    const primary = shardPrimary(views, shard);
    const replicas = views.filter((v) => primary && v.self.primaryId === primary.id);
    const members = primary ? [primary, ...replicas] : [];
    const connected = members.every(
      (m) => (primary?.known.find((k) => k.id === m.id)?.linkState ?? 'connected') === 'connected',
    );
    statuses.push({
      shard,
      primary: primary ? podLabel(primary.pod) : undefined,
      replicas: replicas.map((r) => podLabel(r.pod)),
      slots: primary?.self.slots.length ?? 0,
      slotRanges: formatRanges(slotsToRanges(primary?.self.slots ?? [])),
      linkState: primary ? (connected ? 'connected' : 'disconnected') : 'unknown',
    });
  }
  return statuses;
}

/**
 * The observed shard in the CRD's status.redis.shards shape, the only shape written to (and read
 * back from) the CR.
 */
export function toShardStatus(s: ClusterShardState): RedisShardStatus {
  return {
    index: s.shard,
    ...(s.primary ? { primary: s.primary } : {}),
    replicas: s.replicas.length,
    slots: s.slotRanges.join(','),
    ready: s.linkState === 'connected' && s.slots > 0,
    message: `${s.slots} slots, link ${s.linkState}`,
  };
}

/** How many distinct slots the given nodes serve themselves (their own CLUSTER NODES line). */
export function slotsServedBy(views: readonly NodeView[]): number {
  const served = new Set<number>();
  for (const v of views) for (const s of v.self.slots) served.add(s);
  return served.size;
}

/** Every slot any node claims, in any node's picture (including its own). */
export function claimedSlots(views: readonly NodeView[]): Set<number> {
  const claimed = new Set<number>();
  for (const v of views) for (const k of v.known) for (const s of k.slots) claimed.add(s);
  return claimed;
}

/** Every node knows every pod's node id, with the handshake finished. */
export function gossipComplete(views: readonly NodeView[]): boolean {
  const ids = views.map((v) => v.id);
  return views.every((v) =>
    ids.every((id) =>
      v.known.some((k) => k.id === id && !k.flags.includes('handshake') && !k.flags.includes('noaddr')),
    ),
  );
}

/** cluster_state:ok with every slot served, on every node (their CLUSTER INFO). */
export function clusterOkEverywhere(infos: readonly ReadonlyMap<string, string>[]): boolean {
  return infos.every(
    (i) => i.get('cluster_state') === 'ok' && i.get('cluster_slots_ok') === String(SLOT_COUNT),
  );
}

/** The views that replicate a pod (whose replication link the pass checks before Ready). */
export function podReplicas(views: readonly NodeView[]): NodeView[] {
  const podIds = new Set(views.map((v) => v.id));
  return views.filter((v) => v.self.primaryId !== undefined && podIds.has(v.self.primaryId));
}

/** Of those replicas, the pods whose link is down or whose full sync has not finished (by INFO replication). */
export function syncingReplicas(
  replicas: readonly NodeView[],
  replication: readonly ReadonlyMap<string, string>[],
): string[] {
  return replicas
    .filter((_, i) => {
      const info = replication[i];
      return info?.get('master_link_status') !== 'up' || info.get('master_sync_in_progress') === '1';
    })
    .map((v) => podLabel(v.pod));
}
