/**
 * The operator-orchestrated rolling update of a Redis Cluster (StatefulSets use updateStrategy
 * OnDelete, so nothing is replaced until this says so). PURE: observed members -> the next step.
 *
 * Level-based: the input is what the pods and the nodes say now (revision label vs the StatefulSet's
 * updateRevision, role, replication state), so an operator restarted mid-roll picks up where the
 * cluster is. One pod at a time:
 *   1. wait while cluster_state is not ok or any replica is not in sync;
 *   2. delete outdated replicas first;
 *   3. then for each outdated primary, CLUSTER FAILOVER to an updated in-sync replica (the old
 *      primary is then an outdated replica, deleted by step 2 on a later pass);
 *   4. a primary without replicas is deleted only when its data survives (storage); otherwise the
 *      roll of that shard is held and reported: deleting it would lose the shard's data.
 */

export interface RollMember {
  /** Pod name. */
  name: string;
  shard: number;
  /** detached: a node the cluster pass has not attached yet (a master without slots, say). */
  role: 'primary' | 'replica' | 'detached';
  /** For a replica: the pod name of its primary. */
  primary?: string;
  /** The pod's controller-revision-hash differs from its StatefulSet's updateRevision. */
  outdated: boolean;
  /** For a replica: link up, no sync in progress, offset close to its primary's (see replicaInSync). */
  inSync: boolean;
}

export interface RollInput {
  members: readonly RollMember[];
  clusterOk: boolean;
  /** The pods keep their data across deletion (spec.sessions.redis.storage). */
  persistent: boolean;
}

export type RollStep =
  | { kind: 'idle' }
  | { kind: 'wait'; reason: string }
  | { kind: 'delete'; pod: string; shard: number; role: 'primary' | 'replica' }
  | { kind: 'failover'; replica: string; primary: string; shard: number }
  | { kind: 'blocked'; reason: string };

export interface RollPlan {
  step: RollStep;
  updated: number;
  total: number;
}

/** A replica counts as in sync when its primary is at most this many bytes ahead of it. */
export const MAX_IN_SYNC_LAG_BYTES = 64 * 1024;

export interface ReplicationState {
  /** INFO replication master_link_status on the replica. */
  linkStatus: string | undefined;
  /** INFO replication master_sync_in_progress on the replica ('1' during a full sync). */
  syncInProgress: string | undefined;
  replicaOffset: number;
  primaryOffset: number;
}

/** PURE. */
export function replicaInSync(r: ReplicationState, maxLag = MAX_IN_SYNC_LAG_BYTES): boolean {
  if (r.linkStatus !== 'up' || r.syncInProgress === '1') return false;
  if (!Number.isFinite(r.replicaOffset) || !Number.isFinite(r.primaryOffset)) return false;
  return r.primaryOffset - r.replicaOffset <= maxLag;
}

const byShardThenName = (a: RollMember, b: RollMember): number =>
  a.shard - b.shard || a.name.localeCompare(b.name);

/** The next step of the roll. PURE. */
export function planRoll(input: RollInput): RollPlan {
  const members = [...input.members].sort(byShardThenName);
  const total = members.length;
  const updated = members.filter((m) => !m.outdated).length;
  const plan = (step: RollStep): RollPlan => ({ step, updated, total });
  if (updated === total) return plan({ kind: 'idle' });
  if (!input.clusterOk) return plan({ kind: 'wait', reason: 'cluster_state is not ok on every node' });
  const detached = members.filter((m) => m.role === 'detached');
  if (detached.length > 0) {
    const names = detached.map((m) => m.name).join(', ');
    return plan({ kind: 'wait', reason: `waiting for ${names} to be attached` });
  }
  const syncing = members.filter((m) => m.role === 'replica' && !m.inSync);
  if (syncing.length > 0) {
    const names = syncing.map((m) => m.name).join(', ');
    return plan({ kind: 'wait', reason: `waiting for replicas to sync: ${names}` });
  }
  const replica = members.find((m) => m.role === 'replica' && m.outdated);
  if (replica) return plan({ kind: 'delete', pod: replica.name, shard: replica.shard, role: 'replica' });
  return plan(primaryStep(members, input.persistent));
}

function primaryStep(members: readonly RollMember[], persistent: boolean): RollStep {
  const held: number[] = [];
  for (const primary of members.filter((m) => m.role === 'primary' && m.outdated)) {
    const successor = members.find(
      (m) => m.role === 'replica' && m.primary === primary.name && !m.outdated && m.inSync,
    );
    if (successor) {
      return { kind: 'failover', replica: successor.name, primary: primary.name, shard: primary.shard };
    }
    if (persistent) return { kind: 'delete', pod: primary.name, shard: primary.shard, role: 'primary' };
    held.push(primary.shard);
  }
  // Unreachable while every member is attached (planRoll waits for detached ones); kept total.
  if (held.length === 0) return { kind: 'wait', reason: 'no outdated pod can be rolled yet' };
  return {
    kind: 'blocked',
    reason:
      `not rolling shard${held.length > 1 ? 's' : ''} ${held.join(', ')}: no replica and no storage, so ` +
      "deleting its primary would lose the shard's data; add replicasPerShard or storage, or delete the pod " +
      'yourself to accept the loss',
  };
}

/** "rolling: 3/6 pods updated", for the RedisReady message. PURE. */
export function rollProgress(plan: Pick<RollPlan, 'updated' | 'total'>): string {
  return `rolling: ${plan.updated}/${plan.total} pods updated`;
}
