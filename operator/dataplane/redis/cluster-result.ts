/**
 * What a pass returns: the RedisReady condition, shard statuses, requeue and Events. PURE: built
 * from what the pass observed and did (its log), so every reason and message has one source.
 */
import { condition, REDIS_READY, RedisReason } from '../conditions.js';
import type { ClusterShardState } from '../types.js';
import type { ClusterPod, NodeView } from './cluster-node.js';
import { rollSummary } from './cluster-roll.js';
import type { RollOutcome } from './cluster-roll.js';
import { activeShardCount, shardStatuses, slotsServedBy } from './cluster-state.js';
import {
  CLUSTER_RESYNC_MS,
  CLUSTER_RETRY_MS,
  REBALANCE_REQUEUE_MS,
  ROLL_REQUEUE_MS,
} from './cluster-types.js';
import type {
  ClusterEvent,
  ClusterReconcileResult,
  ClusterTopology,
  PreviousReport,
} from './cluster-types.js';
import { SLOT_COUNT } from './slot-plan.js';

/** What one pass did so far: action log lines, problems found, Events to record. */
export interface PassLog {
  actions: string[];
  problems: string[];
  events: ClusterEvent[];
  /** Slot moves left for later passes. */
  remainingMoves: number;
}

export function emptyLog(): PassLog {
  return { actions: [], problems: [], events: [], remainingMoves: 0 };
}

export function pending(
  reason: string,
  message: string,
  actions: string[],
  shards: ClusterShardState[] = [],
  events: ClusterEvent[] = [],
): ClusterReconcileResult {
  return {
    condition: condition(REDIS_READY, false, reason, message),
    shards,
    actions,
    requeueAfterMs: CLUSTER_RETRY_MS,
    events,
    deletePods: [],
  };
}

/** Expected pods are missing. Mid-roll that is the pod just deleted: say how far the roll is. */
export function waitingForPods(
  topology: ClusterTopology,
  pods: readonly ClusterPod[],
  missing: readonly string[],
  previous: PreviousReport,
): ClusterReconcileResult {
  const waiting = `waiting for Redis pods: ${missing.join(', ')}`;
  const rolling = pods.some((p) => p.outdated) || previous.reason === RedisReason.RollingUpdate;
  if (!rolling) return pending(RedisReason.WaitingForPods, waiting, []);
  const total = topology.shards * (1 + topology.replicasPerShard);
  const updated = pods.filter((p) => !p.outdated).length;
  const message = `${rollSummary(updated, total)}; ${waiting}`;
  return { ...pending(RedisReason.RollingUpdate, message, []), requeueAfterMs: ROLL_REQUEUE_MS };
}

/** Lost shards reported (not yet acted on): only the data-loss Event, whatever else the pass did. */
export function lossResult(
  message: string,
  log: PassLog,
  views: readonly NodeView[],
  topology: ClusterTopology,
): ClusterReconcileResult {
  const events: ClusterEvent[] = [{ type: 'Warning', reason: 'RedisShardDataLost', note: message }];
  const statuses = shardStatuses(views, activeShardCount(topology, views));
  return {
    ...pending(RedisReason.ShardDataLost, message, log.actions, statuses, events),
    requeueAfterMs: ROLL_REQUEUE_MS,
  };
}

/** The pass's verdict once slots are placed: problems, then cluster_state, coverage, rebalance. */
export function passResult(
  views: readonly NodeView[],
  shards: number,
  ok: boolean,
  log: PassLog,
  topology: ClusterTopology,
): ClusterReconcileResult {
  const statuses = shardStatuses(views, shards);
  if (log.problems.length > 0) {
    const message = log.problems.join('; ');
    return pending(RedisReason.ClusterUnhealthy, message, log.actions, statuses, log.events);
  }
  if (!ok) {
    const message = 'cluster_state is not ok on every node yet';
    return pending(RedisReason.ClusterUnhealthy, message, log.actions, statuses);
  }
  const unserved = SLOT_COUNT - slotsServedBy(views);
  if (unserved > 0) {
    // Slots held by a node that is no longer a pod (one being deleted still gossips for a node
    // timeout): never Ready then, so a shard that still owns slots is never pruned.
    const message = `${unserved} slots are served by a node that is not a current Redis pod (restarting or being deleted)`;
    return pending(RedisReason.WaitingForPods, message, log.actions, statuses);
  }
  if (log.remainingMoves > 0) {
    const draining = shards > topology.shards ? ` (draining shards ${topology.shards}..${shards - 1})` : '';
    const msg = `rebalancing: ${log.remainingMoves} slots still to migrate${draining}`;
    return {
      ...pending(RedisReason.Rebalancing, msg, log.actions, statuses),
      requeueAfterMs: REBALANCE_REQUEUE_MS,
    };
  }
  const msg = `${shards} shards, ${SLOT_COUNT} slots covered, cluster_state:ok`;
  return {
    condition: condition(REDIS_READY, true, RedisReason.Ready, msg),
    shards: statuses,
    actions: log.actions,
    requeueAfterMs: CLUSTER_RESYNC_MS,
    events: log.events,
    deletePods: [],
  };
}

/** Ready but a re-attached replica is still empty until its first sync ends: no redundancy yet. */
export function syncingResult(
  syncing: readonly string[],
  views: readonly NodeView[],
  ready: ClusterReconcileResult,
  log: PassLog,
  previous: PreviousReport,
): ClusterReconcileResult {
  const msg = `replicas still syncing: ${syncing.join(', ')} (their shards have no redundancy until then)`;
  // Mid-roll this is the pod just replaced: keep saying RollingUpdate, with the progress.
  const outdated = views.filter((v) => v.pod.outdated).length;
  const rolling = outdated > 0 || previous.reason === RedisReason.RollingUpdate;
  const reason = rolling ? RedisReason.RollingUpdate : RedisReason.ClusterUnhealthy;
  const message = rolling ? `${rollSummary(views.length - outdated, views.length)}; ${msg}` : msg;
  return {
    ...pending(reason, message, log.actions, ready.shards, log.events),
    requeueAfterMs: ROLL_REQUEUE_MS,
  };
}

/** Steady and healthy with a roll step taken (or held): RollingUpdate with the roll's own Events. */
export function rollResult(
  outcome: RollOutcome,
  ready: ClusterReconcileResult,
  log: PassLog,
): ClusterReconcileResult {
  log.actions.push(...outcome.actions);
  return {
    ...pending(RedisReason.RollingUpdate, outcome.message, log.actions, ready.shards, outcome.events),
    requeueAfterMs: outcome.held ? CLUSTER_RESYNC_MS : ROLL_REQUEUE_MS,
    deletePods: outcome.deletePods,
  };
}
