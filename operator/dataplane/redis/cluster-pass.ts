/**
 * One reconcile pass over connected nodes: the order of the steps, each one observe -> plan (pure,
 * cluster-plan.ts, cluster-heal-step.ts, cluster-roll.ts) -> execute (cluster-execute.ts) -> wait.
 *   1. CLUSTER MEET unknown nodes into one cluster (distinct epochs first on a blank cluster), and
 *      wait for gossip
 *   2. heal: forget dead nodes, wait for (or force) failovers, report lost shards and recover them
 *   3. ADDSLOTSRANGE for slots nobody claims; CLUSTER REPLICATE every non-primary pod
 *   4. wait for cluster_state:ok; finish open migrations; rebalance (scale-out, scale-in drain)
 *   5. wait for cluster_state:ok and for re-attached replicas to sync; then one roll step
 */
import { RedisReason } from '../conditions.js';
import type { ClusterExecutor } from './cluster-execute.js';
import { forcedFailoverCandidates, healViews, planHealStep } from './cluster-heal-step.js';
import type { NodeView } from './cluster-node.js';
import {
  planAssignUnclaimed,
  planConfigEpochs,
  planMeet,
  planClaimOrphans,
  planOpenMigrations,
  planRebalanceStep,
  planReplicate,
} from './cluster-plan.js';
import { emptyLog, lossResult, passResult, pending, rollResult, syncingResult } from './cluster-result.js';
import { decideRoll, failoverOutcome, rollPending } from './cluster-roll.js';
import {
  activeShardCount,
  clusterOkEverywhere,
  gossipComplete,
  podReplicas,
  syncingReplicas,
} from './cluster-state.js';
import type { ClusterReconcileResult, ClusterTopology, PreviousReport } from './cluster-types.js';
import { planHeal } from './heal-plan.js';

export class ClusterPass {
  private readonly log = emptyLog();

  constructor(
    private readonly executor: ClusterExecutor,
    private readonly topology: ClusterTopology,
    private readonly maxSlotsPerPass: number,
    private readonly previous: PreviousReport,
  ) {}

  async run(): Promise<ClusterReconcileResult> {
    const ex = this.executor;
    let views = await ex.observe();
    const shards = activeShardCount(this.topology, views);
    await ex.apply([...planConfigEpochs(views), ...planMeet(views)], this.log);
    const gossiped = await ex.waitFor(async () => {
      const seen = await ex.observe();
      return gossipComplete(seen) ? seen : undefined;
    });
    if (!gossiped)
      return pending(RedisReason.Bootstrapping, 'waiting for nodes to see each other', this.log.actions);
    const lost = await this.heal(gossiped);
    if (lost) return lost;
    await ex.apply(planAssignUnclaimed(await ex.observe(), shards), this.log);
    views = await ex.observe();
    await ex.apply(planReplicate(views, shards, this.log.problems), this.log);
    // A slot left to a source that died mid-migration keeps cluster_state:fail until it is claimed.
    const claims = planClaimOrphans(views);
    await ex.apply(claims, this.log);
    // A node that joined moments ago answers CLUSTERDOWN until gossip has told it who owns every
    // slot, and MIGRATE into it would fail; so slots move only once every node says ok.
    if (!(await this.waitForClusterOk())) return this.result(await ex.observe(), shards, false);
    await ex.apply(planOpenMigrations(claims.length > 0 ? await ex.observe() : views), this.log);
    // Target primaries are the spec's shards only: slots of shards beyond it are drained (scale-in).
    const rebalance = planRebalanceStep(await ex.observe(), this.topology.shards, this.maxSlotsPerPass);
    this.log.remainingMoves = rebalance.remaining;
    await ex.apply(rebalance.actions, this.log);
    const ok = await this.waitForClusterOk();
    views = await ex.observe();
    const result = this.result(views, activeShardCount(this.topology, views), ok);
    if (result.condition.status !== 'True') return result;
    const syncing = await this.waitForReplicaSync();
    if (syncing.length > 0) return syncingResult(syncing, views, result, this.log, this.previous);
    return this.roll(views, result);
  }

  private result(views: readonly NodeView[], shards: number, ok: boolean): ClusterReconcileResult {
    return passResult(views, shards, ok, this.log, this.topology);
  }

  /** Returns a result when this pass must stop here (lost shards reported). */
  private async heal(views: readonly NodeView[]): Promise<ClusterReconcileResult | undefined> {
    const plan = planHeal(healViews(views));
    const candidates = forcedFailoverCandidates(plan, views);
    const replication = await this.executor.replication(candidates);
    const offsets = new Map(
      candidates.map((v, i) => [v.id, Number(replication[i]?.get('slave_repl_offset') ?? -1)]),
    );
    const step = planHealStep(views, plan, offsets, this.previous);
    await this.executor.apply(step.actions, this.log);
    this.log.problems.push(...step.problems);
    this.log.events.push(...step.events);
    if (step.lossMessage !== undefined) return lossResult(step.lossMessage, this.log, views, this.topology);
    return undefined;
  }

  private async waitForClusterOk(): Promise<boolean> {
    const ok = await this.executor.waitFor(async () =>
      clusterOkEverywhere(await this.executor.clusterInfos()) ? true : undefined,
    );
    return ok === true;
  }

  /** Replicas (of a pod primary) whose link is down or whose full sync has not finished, after waiting. */
  private async waitForReplicaSync(): Promise<string[]> {
    let syncing: string[] = [];
    await this.executor.waitFor(async () => {
      const replicas = podReplicas(await this.executor.observe());
      syncing = syncingReplicas(replicas, await this.executor.replication(replicas));
      return syncing.length === 0 ? true : undefined;
    });
    return syncing;
  }

  /** Steady and healthy: the next step of an OnDelete roll, if any pod is outdated. */
  private async roll(views: NodeView[], ready: ClusterReconcileResult): Promise<ClusterReconcileResult> {
    if (!rollPending(views)) return ready;
    const infos = await this.executor.replication(views);
    const replication = new Map(views.map((v, i) => [v.id, infos[i] ?? new Map<string, string>()]));
    const persistent = this.topology.persistent === true;
    const decision = decideRoll(views, replication, persistent, this.previous.message);
    if (!decision) return ready;
    if (decision.kind === 'outcome') return rollResult(decision.outcome, ready, this.log);
    const promoted = await this.executor.rollFailover(decision.step);
    return rollResult(failoverOutcome(decision.step, decision.progress, promoted), ready, this.log);
  }
}
