/**
 * The heal step of a pass, as actions. PURE: heal-plan.ts decides what to do about nodes that are
 * no longer pods; this turns its plan into the pass's actions, problems and Events, and picks the
 * replica a forced failover promotes.
 */
import { RedisReason } from '../conditions.js';
import { podLabel } from './cluster-node.js';
import type { NodeView } from './cluster-node.js';
import type { ClusterAction } from './cluster-plan.js';
import type { ClusterEvent, PreviousReport } from './cluster-types.js';
import { acknowledgedLosses, lostShardsMessage } from './heal-plan.js';
import type { HealPlan, HealView } from './heal-plan.js';

export function healViews(views: readonly NodeView[]): HealView[] {
  return views.map((v) => ({ shard: v.pod.shard, id: v.id, self: v.self, known: v.known }));
}

/** The replicas whose replication offset picks the one a forced failover promotes. */
export function forcedFailoverCandidates(plan: HealPlan, views: readonly NodeView[]): NodeView[] {
  const forced = new Set(plan.awaitingFailover.filter((f) => f.force).map((f) => f.deadId));
  return views.filter((v) => v.self.primaryId !== undefined && forced.has(v.self.primaryId));
}

export interface HealStep {
  actions: ClusterAction[];
  /** Shards waiting for a failover: the pass goes on, but is not Ready. */
  problems: string[];
  events: ClusterEvent[];
  /** Set when this pass reports lost shards (ShardDataLost) and stops there. */
  lossMessage?: string;
}

/**
 * Forget dead nodes; wait for Redis's failover (forcing it for a NOADDR primary); report lost
 * shards, and recover those an earlier pass reported (forget the dead id, so the assign step gives
 * the slots to the new empty node). `offsets`: slave_repl_offset by node id of the candidates.
 */
export function planHealStep(
  views: readonly NodeView[],
  plan: HealPlan,
  offsets: ReadonlyMap<string, number>,
  previous: PreviousReport,
): HealStep {
  const step: HealStep = {
    actions: plan.forget.map((id) => ({ kind: 'forget', id })),
    problems: [],
    events: [],
  };
  for (const f of plan.awaitingFailover) {
    if (f.force) forceFailover(f.deadId, views, offsets, step);
    step.problems.push(`shard ${f.shard}: waiting for Redis to promote a replica of failed node ${f.deadId}`);
  }
  if (plan.lost.length === 0) return step;
  const previousLoss = previous.reason === RedisReason.ShardDataLost ? previous.message : undefined;
  const acknowledged = acknowledgedLosses(plan.lost, previousLoss);
  if (acknowledged.length < plan.lost.length) return { ...step, lossMessage: lostShardsMessage(plan.lost) };
  for (const l of acknowledged) step.actions.push({ kind: 'forget', id: l.deadId });
  for (const l of acknowledged) {
    step.events.push({
      type: 'Warning',
      reason: 'RedisShardRecovered',
      note: `shard ${l.shard}: assigned its ${l.slots} slots to its new empty node; the data of node ${l.deadId} is lost`,
    });
  }
  return step;
}

/**
 * The replica of `deadId` with the most replicated data takes over with CLUSTER FAILOVER FORCE
 * (no handshake with the dead primary; the other primaries still vote).
 */
function forceFailover(
  deadId: string,
  views: readonly NodeView[],
  offsets: ReadonlyMap<string, number>,
  step: HealStep,
): void {
  const replicas = views
    .filter((v) => v.self.primaryId === deadId)
    .map((v) => ({ v, offset: offsets.get(v.id) ?? -1 }));
  const best = replicas.sort((a, b) => b.offset - a.offset)[0]?.v;
  if (!best) return;
  const replicaLabel = podLabel(best.pod);
  step.actions.push({ kind: 'forceFailover', replica: best.id, replicaLabel, deadId, shard: best.pod.shard });
  step.events.push({
    type: 'Warning',
    reason: 'RedisFailover',
    note:
      `shard ${best.pod.shard}: forced ${replicaLabel} to take over from node ${deadId}, which another ` +
      'node replaced at the same address (Redis does not fail such a node over by itself)',
  });
}
