/**
 * The types of the Redis Cluster pass's public surface (cluster.ts re-exports them): what the
 * caller asks for, what it gets back. No I/O here, so the pure planner and result builders share them.
 */
import type { ClusterShardState, Condition } from '../types.js';
import type { ClusterNodeFactory } from './cluster-node.js';

export interface ClusterTopology {
  shards: number;
  replicasPerShard: number;
  /** The pods keep /data across deletion (spec storage): a primary without replica may be rolled. */
  persistent?: boolean;
}

/** What the last pass reported (the CR's RedisReady), so a data loss is acted on only once reported. */
export interface PreviousReport {
  reason?: string;
  message?: string;
}

/** An Event the caller records on the CR (the cluster code has no Kubernetes client). */
export interface ClusterEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  note: string;
}

/** The clock every wait of a pass reads and sleeps on (injected: tests drive time themselves). */
export interface PassClock {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

export interface RedisClusterOptions {
  password?: string;
  connectTimeoutMs?: number;
  /** Bound of one command (default 5 s, and always above migrateTimeoutMs). */
  commandTimeoutMs?: number;
  /** Bound of one whole pass, connects included (default 60 s); then RedisUnavailable and requeue. */
  passTimeoutMs?: number;
  migrateBatchSize?: number;
  migrateTimeoutMs?: number;
  /** How long one pass waits for gossip / cluster_state:ok before returning and requeueing. */
  convergeTimeoutMs?: number;
  pollMs?: number;
  /** Slots migrated per pass (default 2048); the rest is RedisReady=False/Rebalancing + requeue. */
  maxSlotsPerPass?: number;
  /** Slots migrated concurrently (default 32). */
  migrateConcurrency?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Milliseconds of a monotonic clock for the converge deadline (default performance.now). */
  now?: () => number;
  /** Opens the node clients (default: ioredis `ClusterNode`). */
  nodeFactory?: ClusterNodeFactory;
}

export interface ClusterReconcileResult {
  condition: Condition;
  shards: ClusterShardState[];
  /** What this pass changed, for logs and events. */
  actions: string[];
  requeueAfterMs: number;
  /** Events to record: failovers, pods restarted by the roll, lost shards. */
  events: ClusterEvent[];
  /** Pods the caller deletes now (the roll's next step; StatefulSet OnDelete recreates them). */
  deletePods: string[];
}

export const CLUSTER_RESYNC_MS = 60_000;
export const CLUSTER_RETRY_MS = 5_000;
/** Continue a rebalance right away: the cluster serves traffic throughout. */
export const REBALANCE_REQUEUE_MS = 1_000;
/** During a roll or a heal the next step is due as soon as the pods or nodes have moved on. */
export const ROLL_REQUEUE_MS = 2_000;
/** redis-cli --cluster rebalance's default threshold: ignore imbalance under 2 % of the target. */
export const REBALANCE_THRESHOLD = 0.02;
