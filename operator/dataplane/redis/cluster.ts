/**
 * Redis Cluster management against real nodes through ioredis (no Kubernetes code).
 *
 * `reconcile(topology, pods)` is level-based and idempotent; each pass converges as far as it can:
 *   1. all expected pods present?            else WaitingForPods
 *   2. CLUSTER MEET unknown nodes into one cluster and wait for gossip
 *   3. heal (heal-plan.ts): CLUSTER FORGET dead nodes that own no slots; wait for Redis's own
 *      failover of a dead primary that has a replica; report, then (next pass) recover a shard
 *      whose dead primary had none
 *   4. ADDSLOTSRANGE for slots nobody claims (bootstrap: the even split over shard pod-0s)
 *   5. CLUSTER REPLICATE every non-primary pod of a shard to that shard's primary (a replaced pod
 *      comes back as a new empty node and is attached to whichever pod is primary now)
 *   6. finish migrations a previous pass left open, resuming those a failover interrupted
 *   7. rebalance to the even split by live migration (scale-out)
 *   8. wait for cluster_state:ok on every node
 *   9. roll outdated pods one at a time (roll-plan.ts; the StatefulSets are OnDelete)
 * Scale-in: slots of shards >= spec.shards are migrated to the remaining primaries (step 7);
 * once a shard owns no slots it drops out of status, the caller prunes its StatefulSet, and
 * step 3 forgets its nodes on the next pass.
 */
import { condition, REDIS_READY, RedisReason } from '../conditions.js';
import type { ClusterShardState, Condition, RedisShardStatus } from '../types.js';
import { ClusterNode, DEFAULT_COMMAND_TIMEOUT_MS, podLabel, withDeadline } from './cluster-node.js';
import type { ClusterPod, NodeView } from './cluster-node.js';
import { migrateSlot, resumeOrphanSlot } from './cluster-migrate.js';
import type { MigrateOptions, SlotEnd } from './cluster-migrate.js';
import { acknowledgedLosses, lostShardsMessage, planHeal } from './heal-plan.js';
import type { HealPlan } from './heal-plan.js';
import { rollSummary, runRollStep } from './cluster-roll.js';
import {
  evenSlotRanges,
  formatRanges,
  planRebalance,
  SLOT_COUNT,
  slotsToRanges,
  targetCounts,
} from './slot-plan.js';
import type { SlotMove } from './slot-plan.js';

export type { ClusterPod } from './cluster-node.js';

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

/** An Event the caller records on the CR (cluster.ts has no Kubernetes client). */
export interface ClusterEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  note: string;
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

/** Which expected (shard, ordinal) pods are missing. PURE. */
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
 * surviving replica resync from an empty node), else pod 0 if it is a master (bootstrap). PURE.
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

/** Shard count to keep: never fewer than the highest shard that still owns slots. PURE. */
export function activeShardCount(topology: ClusterTopology, views: readonly NodeView[]): number {
  const holding = views.filter((v) => v.self.slots.length > 0).map((v) => v.pod.shard);
  return Math.max(topology.shards, Math.max(-1, ...holding) + 1);
}

/** A shard being drained, or imbalance beyond the threshold for any primary? PURE. */
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

/** Per-shard status from each node's own CLUSTER NODES line. PURE. */
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
 * back from) the CR. PURE.
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

export class RedisClusterManager {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly opts: RedisClusterOptions = {}) {
    this.sleep = opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
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
    const migrateTimeoutMs = this.opts.migrateTimeoutMs ?? 5_000;
    // MIGRATE waits up to migrateTimeoutMs on the server side: the client must wait longer than that.
    const commandTimeoutMs = Math.max(
      this.opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      migrateTimeoutMs + 1_000,
    );
    const nodes = ordered.map(
      (p) => new ClusterNode(p, this.opts.password, this.opts.connectTimeoutMs ?? 2_000, commandTimeoutMs),
    );
    const closeAll = (): void => {
      for (const n of nodes) n.close();
    };
    signal?.addEventListener('abort', closeAll, { once: true });
    const passTimeoutMs = this.opts.passTimeoutMs ?? 60_000;
    try {
      const pass = async (): Promise<ClusterReconcileResult> => {
        await Promise.all(nodes.map((n) => n.connect()));
        return new ClusterPass(nodes, topology, this.opts, this.sleep, previous).run();
      };
      return await withDeadline(pass(), passTimeoutMs, 'Redis Cluster pass', closeAll);
    } catch (err: unknown) {
      const message = signal?.aborted ? 'cancelled' : err instanceof Error ? err.message : String(err);
      return pending(RedisReason.RedisUnavailable, `Redis cluster reconcile failed: ${message}`, []);
    } finally {
      signal?.removeEventListener('abort', closeAll);
      closeAll();
    }
  }
}

/** Expected pods are missing. Mid-roll that is the pod just deleted: say how far the roll is. */
function waitingForPods(
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

function pending(
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

/** One reconcile pass over connected nodes. */
class ClusterPass {
  private readonly actions: string[] = [];
  private readonly problems: string[] = [];
  private readonly events: ClusterEvent[] = [];
  private remainingMoves = 0;

  constructor(
    private readonly nodes: ClusterNode[],
    private readonly topology: ClusterTopology,
    private readonly opts: RedisClusterOptions,
    private readonly sleep: (ms: number) => Promise<void>,
    private readonly previous: PreviousReport,
  ) {}

  async run(): Promise<ClusterReconcileResult> {
    let views = await this.views();
    const shards = activeShardCount(this.topology, views);
    if (claimedSlots(views).size === 0) await this.setDistinctEpochs(views);
    await this.meet(views);
    const gossiped = await this.waitForGossip();
    if (!gossiped)
      return pending(RedisReason.Bootstrapping, 'waiting for nodes to see each other', this.actions);
    const lost = await this.heal(gossiped);
    if (lost) return lost;
    await this.assignUnclaimed(await this.views(), shards);
    views = await this.views();
    await this.replicate(views, shards);
    // A node that joined moments ago answers CLUSTERDOWN until gossip has told it who owns every
    // slot, and MIGRATE into it would fail; so slots move only once every node says ok.
    if (!(await this.waitForClusterOk())) return this.result(await this.views(), shards, false);
    await this.finishOpenMigrations(views);
    // Target primaries are the spec's shards only: slots of shards beyond it are drained (scale-in).
    await this.rebalance(await this.views(), this.topology.shards);
    const ok = await this.waitForClusterOk();
    views = await this.views();
    const result = this.result(views, activeShardCount(this.topology, views), ok);
    if (result.condition.status !== 'True') return result;
    const syncing = await this.waitForReplicaSync();
    if (syncing.length > 0) {
      // A re-attached replica is empty until its first sync ends: no redundancy yet, so not Ready.
      const msg = `replicas still syncing: ${syncing.join(', ')} (their shards have no redundancy until then)`;
      // Mid-roll this is the pod just replaced: keep saying RollingUpdate, with the progress.
      const outdated = views.filter((v) => v.pod.outdated).length;
      const rolling = outdated > 0 || this.previous.reason === RedisReason.RollingUpdate;
      const reason = rolling ? RedisReason.RollingUpdate : RedisReason.ClusterUnhealthy;
      const message = rolling ? `${rollSummary(views.length - outdated, views.length)}; ${msg}` : msg;
      return {
        ...pending(reason, message, this.actions, result.shards, this.events),
        requeueAfterMs: ROLL_REQUEUE_MS,
      };
    }
    return this.roll(views, result);
  }

  /** Replicas (of a pod primary) whose link is down or whose full sync has not finished, after waiting. */
  private async waitForReplicaSync(): Promise<string[]> {
    let syncing: string[] = [];
    await this.waitFor(async () => {
      syncing = await this.syncingReplicas();
      return syncing.length === 0 ? true : undefined;
    });
    return syncing;
  }

  private async syncingReplicas(): Promise<string[]> {
    const views = await this.views();
    const podIds = new Set(views.map((v) => v.id));
    const replicas = this.nodes.filter((_, i) => {
      const primaryId = views[i]?.self.primaryId;
      return primaryId !== undefined && podIds.has(primaryId);
    });
    const infos = await Promise.all(replicas.map((n) => n.replication()));
    return replicas
      .filter((_, i) => {
        const info = infos[i];
        return info?.get('master_link_status') !== 'up' || info.get('master_sync_in_progress') === '1';
      })
      .map((n) => podLabel(n.pod));
  }

  /** Steady and healthy: the next step of an OnDelete roll, if any pod is outdated. */
  private async roll(views: NodeView[], ready: ClusterReconcileResult): Promise<ClusterReconcileResult> {
    const outcome = await runRollStep(
      this.nodes,
      views,
      this.topology.persistent === true,
      { waitFor: (probe) => this.waitFor(probe) },
      this.previous.message,
    );
    if (!outcome) return ready;
    this.actions.push(...outcome.actions);
    return {
      ...pending(RedisReason.RollingUpdate, outcome.message, this.actions, ready.shards, outcome.events),
      requeueAfterMs: outcome.held ? CLUSTER_RESYNC_MS : ROLL_REQUEUE_MS,
      deletePods: outcome.deletePods,
    };
  }

  /**
   * Forget dead nodes; wait for Redis's failover; report lost shards, and recover those an earlier
   * pass reported (forget the dead id, so assignUnclaimed gives the slots to the new empty node).
   * Returns a result when this pass must stop here.
   */
  private async heal(views: NodeView[]): Promise<ClusterReconcileResult | undefined> {
    const plan = planHeal(views.map((v) => ({ shard: v.pod.shard, id: v.id, self: v.self, known: v.known })));
    await this.forgetEverywhere(plan.forget);
    for (const f of plan.awaitingFailover) {
      if (f.force) await this.forceFailover(f.deadId, views);
      this.problems.push(
        `shard ${f.shard}: waiting for Redis to promote a replica of failed node ${f.deadId}`,
      );
    }
    if (plan.lost.length === 0) return undefined;
    const acknowledged = acknowledgedLosses(plan.lost, this.previousLossMessage());
    if (acknowledged.length === plan.lost.length) {
      await this.forgetEverywhere(acknowledged.map((l) => l.deadId));
      for (const l of acknowledged) {
        this.events.push({
          type: 'Warning',
          reason: 'RedisShardRecovered',
          note: `shard ${l.shard}: assigned its ${l.slots} slots to its new empty node; the data of node ${l.deadId} is lost`,
        });
      }
      return undefined;
    }
    return this.reportLoss(plan, views);
  }

  /**
   * The replica of `deadId` with the most replicated data takes over with CLUSTER FAILOVER FORCE
   * (no handshake with the dead primary; the other primaries still vote).
   */
  private async forceFailover(deadId: string, views: readonly NodeView[]): Promise<void> {
    const replicas = views.filter((v) => v.self.primaryId === deadId);
    const offsets = await Promise.all(
      replicas.map(async (v) => {
        const info = await this.node(v.id, views)?.replication();
        return { v, offset: Number(info?.get('slave_repl_offset') ?? -1) };
      }),
    );
    const best = offsets.sort((a, b) => b.offset - a.offset)[0]?.v;
    const node = best && this.node(best.id, views);
    if (!best || !node) return;
    await node.cluster('FAILOVER', 'FORCE').catch(() => undefined);
    this.actions.push(`failover force ${podLabel(best.pod)} (its primary ${deadId} is NOADDR)`);
    this.events.push({
      type: 'Warning',
      reason: 'RedisFailover',
      note:
        `shard ${best.pod.shard}: forced ${podLabel(best.pod)} to take over from node ${deadId}, which another ` +
        'node replaced at the same address (Redis does not fail such a node over by itself)',
    });
  }

  private previousLossMessage(): string | undefined {
    return this.previous.reason === RedisReason.ShardDataLost ? this.previous.message : undefined;
  }

  private reportLoss(plan: HealPlan, views: NodeView[]): ClusterReconcileResult {
    const message = lostShardsMessage(plan.lost);
    const events: ClusterEvent[] = [{ type: 'Warning', reason: 'RedisShardDataLost', note: message }];
    const statuses = shardStatuses(views, activeShardCount(this.topology, views));
    return {
      ...pending(RedisReason.ShardDataLost, message, this.actions, statuses, events),
      requeueAfterMs: ROLL_REQUEUE_MS,
    };
  }

  /** Redis drops a FORGET after 60 s unless every node got it: so all nodes at once, every pass. */
  private async forgetEverywhere(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      // FORGET fails on a replica whose primary is the node; that node then forgets it itself later.
      await Promise.all(this.nodes.map((n) => n.cluster('FORGET', id).catch(() => undefined)));
      this.actions.push(`forget ${id}`);
    }
  }

  private result(views: NodeView[], shards: number, ok: boolean): ClusterReconcileResult {
    const statuses = shardStatuses(views, shards);
    if (this.problems.length > 0) {
      return pending(
        RedisReason.ClusterUnhealthy,
        this.problems.join('; '),
        this.actions,
        statuses,
        this.events,
      );
    }
    if (!ok) {
      return pending(
        RedisReason.ClusterUnhealthy,
        'cluster_state is not ok on every node yet',
        this.actions,
        statuses,
      );
    }
    const unserved = SLOT_COUNT - slotsServedBy(views);
    if (unserved > 0) {
      // Slots held by a node that is no longer a pod (one being deleted still gossips for a node
      // timeout): never Ready then, so a shard that still owns slots is never pruned.
      return pending(
        RedisReason.WaitingForPods,
        `${unserved} slots are served by a node that is not a current Redis pod (restarting or being deleted)`,
        this.actions,
        statuses,
      );
    }
    if (this.remainingMoves > 0) {
      const draining =
        shards > this.topology.shards ? ` (draining shards ${this.topology.shards}..${shards - 1})` : '';
      const msg = `rebalancing: ${this.remainingMoves} slots still to migrate${draining}`;
      return {
        ...pending(RedisReason.Rebalancing, msg, this.actions, statuses),
        requeueAfterMs: REBALANCE_REQUEUE_MS,
      };
    }
    const msg = `${shards} shards, ${SLOT_COUNT} slots covered, cluster_state:ok`;
    return {
      condition: condition(REDIS_READY, true, RedisReason.Ready, msg),
      shards: statuses,
      actions: this.actions,
      requeueAfterMs: CLUSTER_RESYNC_MS,
      events: this.events,
      deletePods: [],
    };
  }

  private async views(): Promise<NodeView[]> {
    return Promise.all(this.nodes.map((n) => n.view()));
  }

  private node(id: string, views: readonly NodeView[]): ClusterNode | undefined {
    const pod = views.find((v) => v.id === id)?.pod;
    return this.nodes.find((n) => n.pod === pod);
  }

  /** Like redis-cli --cluster create: distinct config epochs avoid collisions on first election. */
  private async setDistinctEpochs(views: readonly NodeView[]): Promise<void> {
    const blank = this.nodes.filter((_, i) => views[i]?.known.length === 1);
    await Promise.all(
      blank.map((n) => n.cluster('SET-CONFIG-EPOCH', this.nodes.indexOf(n) + 1).catch(() => undefined)),
    );
  }

  private async meet(views: readonly NodeView[]): Promise<void> {
    const seed = views.find((v) => v.self.slots.length > 0) ?? views[0];
    const seedNode = seed && this.node(seed.id, views);
    if (!seed || !seedNode) return;
    for (const v of views) {
      if (v.id === seed.id || seed.known.some((k) => k.id === v.id)) continue;
      await seedNode.cluster('MEET', v.pod.host, v.pod.port);
      this.actions.push(`meet ${podLabel(v.pod)}`);
    }
  }

  private async waitFor<T>(probe: () => Promise<T | undefined>): Promise<T | undefined> {
    const deadline = Date.now() + (this.opts.convergeTimeoutMs ?? 30_000);
    for (;;) {
      const value = await probe();
      if (value !== undefined || Date.now() >= deadline) return value;
      await this.sleep(this.opts.pollMs ?? 200);
    }
  }

  /** Every node knows every pod's node id, with the handshake finished. */
  private async waitForGossip(): Promise<NodeView[] | undefined> {
    return this.waitFor(async () => {
      const views = await this.views();
      const ids = views.map((v) => v.id);
      const complete = views.every((v) =>
        ids.every((id) =>
          v.known.some((k) => k.id === id && !k.flags.includes('handshake') && !k.flags.includes('noaddr')),
        ),
      );
      return complete ? views : undefined;
    });
  }

  /** Slots that no node claims go to the shard the even split gives them to (bootstrap). */
  private async assignUnclaimed(views: readonly NodeView[], shards: number): Promise<void> {
    const claimed = claimedSlots(views);
    if (claimed.size === SLOT_COUNT) return;
    const ranges = evenSlotRanges(shards);
    for (let shard = 0; shard < shards; shard++) {
      const primary = shardPrimary(views, shard);
      const range = ranges[shard];
      const node = primary && this.node(primary.id, views);
      if (!range || !node) continue;
      const free: number[] = [];
      for (let s = range.start; s <= range.end; s++) if (!claimed.has(s)) free.push(s);
      const args = slotsToRanges(free).flatMap((r) => [r.start, r.end]);
      if (args.length === 0) continue;
      await node.cluster('ADDSLOTSRANGE', ...args);
      this.actions.push(`addslots ${formatRanges(slotsToRanges(free)).join(',')} -> shard ${shard}`);
    }
  }

  private async replicate(views: readonly NodeView[], shards: number): Promise<void> {
    for (let shard = 0; shard < shards; shard++) {
      const primary = shardPrimary(views, shard);
      if (!primary) {
        if (!this.problems.some((p) => p.startsWith(`shard ${shard}:`)))
          this.problems.push(`shard ${shard} has no primary`);
        continue;
      }
      for (const v of views.filter((x) => x.pod.shard === shard && x.id !== primary.id)) {
        if (v.self.primaryId === primary.id) continue;
        await this.replicateOne(v, primary, views);
      }
    }
  }

  private async replicateOne(
    replica: NodeView,
    primary: NodeView,
    views: readonly NodeView[],
  ): Promise<void> {
    if (replica.self.slots.length > 0) {
      this.problems.push(
        `${podLabel(replica.pod)} owns slots but belongs to shard ${replica.pod.shard} as a replica`,
      );
      return;
    }
    try {
      await this.node(replica.id, views)?.cluster('REPLICATE', primary.id);
      this.actions.push(`replicate ${podLabel(replica.pod)} -> ${podLabel(primary.pod)}`);
    } catch (err: unknown) {
      this.problems.push(
        `CLUSTER REPLICATE on ${podLabel(replica.pod)}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  private migrateOptions(): MigrateOptions {
    return {
      password: this.opts.password,
      batchSize: this.opts.migrateBatchSize ?? 100,
      timeoutMs: this.opts.migrateTimeoutMs ?? 5_000,
    };
  }

  /**
   * A pass interrupted mid-migration leaves MIGRATING/IMPORTING marks. A pair whose both ends are
   * live is completed; a mark whose other end died (a failover mid-migration) is resumed from
   * wherever the slot's keys are (resumeOrphanSlot).
   */
  private async finishOpenMigrations(views: readonly NodeView[]): Promise<void> {
    const orphans = new Set<number>();
    for (const source of views) {
      for (const [slot, targetId] of source.self.migrating) {
        const target = views.find((v) => v.id === targetId);
        const paired =
          target && (target.self.importing.get(slot) === source.id || target.self.slots.includes(slot));
        if (target && paired) await this.completeMigration(slot, source, target, views);
        else orphans.add(slot);
      }
    }
    for (const target of views) {
      for (const [slot, sourceId] of target.self.importing) {
        const source = views.find((v) => v.id === sourceId);
        if (source?.self.migrating.get(slot) !== target.id) orphans.add(slot);
      }
    }
    for (const slot of orphans) await this.resumeOrphan(slot, views);
  }

  private async completeMigration(
    slot: number,
    source: NodeView,
    target: NodeView,
    views: readonly NodeView[],
  ): Promise<void> {
    const sourceNode = this.node(source.id, views);
    const targetNode = this.node(target.id, views);
    if (!sourceNode || !targetNode) return;
    const others = this.primaryEnds(views)
      .map((e) => e.node)
      .filter((n) => n !== sourceNode && n !== targetNode);
    await migrateSlot(
      slot,
      { node: sourceNode, id: source.id },
      { node: targetNode, id: target.id },
      others,
      this.migrateOptions(),
      target.self.slots.includes(slot),
    );
    this.actions.push(`resumed migration of slot ${slot}`);
  }

  private async resumeOrphan(slot: number, views: readonly NodeView[]): Promise<void> {
    const primaries = this.primaryEnds(views);
    const owner = primaries.find((p) => views.find((v) => v.id === p.id)?.self.slots.includes(slot));
    if (!owner) {
      this.problems.push(`slot ${slot} is mid-migration and its owner is not a live pod yet`);
      return;
    }
    this.actions.push(await resumeOrphanSlot(slot, owner, primaries, this.migrateOptions()));
  }

  private primaryEnds(views: readonly NodeView[]): SlotEnd[] {
    return views
      .filter((v) => v.self.flags.includes('master'))
      .map((v) => ({ id: v.id, node: this.node(v.id, views) }))
      .filter((e): e is SlotEnd => e.node !== undefined);
  }

  private async rebalance(views: readonly NodeView[], shards: number): Promise<void> {
    const primaries: NodeView[] = [];
    for (let shard = 0; shard < shards; shard++) {
      const p = shardPrimary(views, shard);
      if (p) primaries.push(p);
    }
    const ids = primaries.map((p) => p.id);
    const owned = new Map(views.filter((v) => v.self.slots.length > 0).map((v) => [v.id, v.self.slots]));
    if (primaries.length < shards || !needsRebalance(owned, ids)) return;
    const moves = planRebalance(owned, ids);
    // Bounded work per pass keeps one reconcile short; the next pass re-plans from live state.
    const batch = moves.slice(0, this.opts.maxSlotsPerPass ?? 2048);
    this.remainingMoves = moves.length - batch.length;
    const all = primaries.map((p) => this.node(p.id, views)).filter((n): n is ClusterNode => n !== undefined);
    const concurrency = this.opts.migrateConcurrency ?? 32;
    let keys = 0;
    for (let i = 0; i < batch.length; i += concurrency) {
      const chunk = batch.slice(i, i + concurrency);
      const moved = await Promise.all(chunk.map((move) => this.moveSlot(move, views, all)));
      keys += moved.reduce((a, b) => a + b, 0);
    }
    this.actions.push(`rebalanced ${batch.length} slots (${keys} keys) over ${ids.length} primaries`);
  }

  /** Slots are independent, so several migrate at once; each slot's steps stay in order. */
  private async moveSlot(
    move: SlotMove,
    views: readonly NodeView[],
    primaries: readonly ClusterNode[],
  ): Promise<number> {
    const source = this.node(move.from, views);
    const target = this.node(move.to, views);
    if (!source || !target) return 0;
    const others = primaries.filter((n) => n !== source && n !== target);
    return migrateSlot(
      move.slot,
      { node: source, id: move.from },
      { node: target, id: move.to },
      others,
      this.migrateOptions(),
    );
  }

  private async waitForClusterOk(): Promise<boolean> {
    return (await this.waitFor(async () => (await this.allClusterOk()) || undefined)) === true;
  }

  private async allClusterOk(): Promise<boolean> {
    const infos = await Promise.all(this.nodes.map((n) => n.info()));
    return infos.every(
      (i) => i.get('cluster_state') === 'ok' && i.get('cluster_slots_ok') === String(SLOT_COUNT),
    );
  }
}

/** How many distinct slots the given nodes serve themselves (their own CLUSTER NODES line). PURE. */
export function slotsServedBy(views: readonly NodeView[]): number {
  const served = new Set<number>();
  for (const v of views) for (const s of v.self.slots) served.add(s);
  return served.size;
}

/** Every slot any node claims, in any node's picture (including its own). PURE. */
export function claimedSlots(views: readonly NodeView[]): Set<number> {
  const claimed = new Set<number>();
  for (const v of views) for (const k of v.known) for (const s of k.slots) claimed.add(s);
  return claimed;
}
