/**
 * Redis Cluster management against real nodes (no Kubernetes code): the entry point the data plane
 * calls, `new RedisClusterManager(opts).reconcile(topology, pods, signal, previous)`.
 *
 * A pass is level-based and idempotent and converges as far as it can. It waits (WaitingForPods)
 * until every expected pod is present, connects to every pod's node, and runs cluster-pass.ts
 * within one deadline. The decisions are pure (cluster-plan.ts: MEET, ADDSLOTS, REPLICATE,
 * migrations, rebalance; cluster-heal-step.ts over heal-plan.ts: FORGET, FAILOVER FORCE, lost
 * shards; cluster-roll.ts over roll-plan.ts: the OnDelete roll); cluster-execute.ts runs them.
 * Scale-in: slots of shards >= spec.shards are migrated to the remaining primaries; once a shard
 * owns no slots it drops out of status, the caller prunes its StatefulSet, and the heal step
 * forgets its nodes on the next pass.
 */
import { errorMessage } from '../../kube/errors.js';
import { RedisReason } from '../conditions.js';
import { ClusterExecutor } from './cluster-execute.js';
import type { ExecutorOptions } from './cluster-execute.js';
import { DEFAULT_COMMAND_TIMEOUT_MS, redisNodeFactory, withDeadline } from './cluster-node.js';
import type { ClusterPod, NodeConnection } from './cluster-node.js';
import { ClusterPass } from './cluster-pass.js';
import { pending, waitingForPods } from './cluster-result.js';
import { missingPods } from './cluster-state.js';
import type {
  ClusterReconcileResult,
  ClusterTopology,
  PassClock,
  PreviousReport,
  RedisClusterOptions,
} from './cluster-types.js';

export type { ClusterPod } from './cluster-node.js';
export type * from './cluster-types.js';
export {
  CLUSTER_RESYNC_MS,
  CLUSTER_RETRY_MS,
  REBALANCE_REQUEUE_MS,
  REBALANCE_THRESHOLD,
  ROLL_REQUEUE_MS,
} from './cluster-types.js';
export {
  activeShardCount,
  claimedSlots,
  missingPods,
  needsRebalance,
  shardPrimary,
  shardStatuses,
  slotsServedBy,
  toShardStatus,
} from './cluster-state.js';

interface PassSettings {
  connection: NodeConnection;
  executor: ExecutorOptions;
  maxSlotsPerPass: number;
  passTimeoutMs: number;
}

/** The options with their defaults applied. */
function passSettings(opts: RedisClusterOptions, clock: PassClock): PassSettings {
  const migrateTimeoutMs = opts.migrateTimeoutMs ?? 5_000;
  // MIGRATE waits up to migrateTimeoutMs on the server side: the client must wait longer than that.
  const commandTimeoutMs = Math.max(
    opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    migrateTimeoutMs + 1_000,
  );
  return {
    connection: {
      password: opts.password,
      connectTimeoutMs: opts.connectTimeoutMs ?? 2_000,
      commandTimeoutMs,
    },
    executor: {
      migrate: {
        password: opts.password,
        batchSize: opts.migrateBatchSize ?? 100,
        timeoutMs: migrateTimeoutMs,
      },
      migrateConcurrency: opts.migrateConcurrency ?? 32,
      convergeTimeoutMs: opts.convergeTimeoutMs ?? 30_000,
      pollMs: opts.pollMs ?? 200,
      clock,
    },
    maxSlotsPerPass: opts.maxSlotsPerPass ?? 2048,
    passTimeoutMs: opts.passTimeoutMs ?? 60_000,
  };
}

export class RedisClusterManager {
  private readonly clock: PassClock;

  constructor(private readonly opts: RedisClusterOptions = {}) {
    this.clock = {
      now: opts.now ?? (() => performance.now()),
      sleep: opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    };
  }

  /** One bounded pass; `signal` cancels it (the nodes are disconnected, so no command keeps waiting). */
  async reconcile(
    topology: ClusterTopology,
    pods: readonly ClusterPod[],
    signal?: AbortSignal,
    previous: PreviousReport = {},
  ): Promise<ClusterReconcileResult> {
    const missing = missingPods(topology, pods);
    if (missing.length > 0) return waitingForPods(topology, pods, missing, previous);
    const ordered = [...pods].sort((a, b) => a.shard - b.shard || a.ordinal - b.ordinal);
    const settings = passSettings(this.opts, this.clock);
    const factory = this.opts.nodeFactory ?? redisNodeFactory;
    const nodes = ordered.map((p) => factory(p, settings.connection));
    const closeAll = (): void => {
      for (const n of nodes) n.close();
    };
    signal?.addEventListener('abort', closeAll, { once: true });
    const executor = new ClusterExecutor(nodes, settings.executor);
    try {
      const pass = async (): Promise<ClusterReconcileResult> => {
        await Promise.all(nodes.map((n) => n.connect()));
        return new ClusterPass(executor, topology, settings.maxSlotsPerPass, previous).run();
      };
      return await withDeadline(pass(), settings.passTimeoutMs, 'Redis Cluster pass', closeAll);
    } catch (err: unknown) {
      const message = signal?.aborted ? 'cancelled' : errorMessage(err);
      return pending(RedisReason.RedisUnavailable, `Redis cluster reconcile failed: ${message}`, []);
    } finally {
      signal?.removeEventListener('abort', closeAll);
      closeAll();
    }
  }
}
