/**
 * Runs the planner's actions (cluster-plan.ts) against the nodes, and observes them. The only
 * Redis I/O of a pass: it decides nothing beyond each action's own error policy (which failures are
 * harmless, which are a problem to report, which end the pass). Every wait reads the injected clock.
 */
import { errorMessage } from '../../kube/errors.js';
import { podLabel } from './cluster-node.js';
import type { ClusterNodeClient, NodeView } from './cluster-node.js';
import { claimOrphanSlot, migrateSlot, resumeOrphanSlot } from './cluster-migrate.js';
import type { MigrateOptions, SlotEnd } from './cluster-migrate.js';
import { describeAction } from './cluster-plan.js';
import type { ClusterAction } from './cluster-plan.js';
import type { PassLog } from './cluster-result.js';
import type { FailoverStep } from './cluster-roll.js';
import type { PassClock } from './cluster-types.js';
import type { SlotMove } from './slot-plan.js';

export interface ExecutorOptions {
  migrate: MigrateOptions;
  /** Slots migrated concurrently. */
  migrateConcurrency: number;
  /** How long one wait (gossip, cluster_state:ok, a promotion, a sync) polls before giving up. */
  convergeTimeoutMs: number;
  pollMs: number;
  clock: PassClock;
}

type SlotAction = Extract<
  ClusterAction,
  { kind: 'completeMigration' | 'resumeOrphan' | 'claimOrphan' | 'migrateSlots' }
>;
type NodeCommand = Exclude<ClusterAction, SlotAction | { kind: 'report' | 'replicate' }>;

export class ClusterExecutor {
  private byId = new Map<string, ClusterNodeClient>();

  constructor(
    private readonly nodes: readonly ClusterNodeClient[],
    private readonly opts: ExecutorOptions,
  ) {}

  /** Each node's own CLUSTER NODES, in node order; remembers which node has which id. */
  async observe(): Promise<NodeView[]> {
    const views = await Promise.all(this.nodes.map((n) => n.view()));
    this.byId = new Map(views.map((v, i) => [v.id, this.nodes[i] as ClusterNodeClient]));
    return views;
  }

  /** CLUSTER INFO of every node. */
  async clusterInfos(): Promise<Map<string, string>[]> {
    return Promise.all(this.nodes.map((n) => n.info()));
  }

  /** INFO replication of the given nodes, in their order. */
  async replication(views: readonly NodeView[]): Promise<Map<string, string>[]> {
    return Promise.all(views.map((v) => this.node(v.id).replication()));
  }

  /** Polls `probe` until it returns a value or the converge timeout passes (on the injected clock). */
  async waitFor<T>(probe: () => Promise<T | undefined>): Promise<T | undefined> {
    const { clock } = this.opts;
    const deadline = clock.now() + this.opts.convergeTimeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined || clock.now() >= deadline) return value;
      await clock.sleep(this.opts.pollMs);
    }
  }

  /** Runs `actions` in order; each logs what it did into `log`. */
  async apply(actions: readonly ClusterAction[], log: PassLog): Promise<void> {
    for (const action of actions) await this.run(action, log);
  }

  /**
   * CLUSTER FAILOVER (coordinated) on the roll step's replica, then waits for its promotion.
   * undefined when that pod has no connected node.
   */
  async rollFailover(step: FailoverStep): Promise<boolean | undefined> {
    const node = this.nodes.find((n) => podLabel(n.pod) === step.replica);
    if (!node) return undefined;
    await node.cluster('FAILOVER');
    const promoted = await this.waitFor(async () => {
      const view = await node.view();
      return view.self.flags.includes('master') && view.self.slots.length > 0 ? true : undefined;
    });
    return promoted === true;
  }

  private node(id: string): ClusterNodeClient {
    const node = this.byId.get(id);
    if (!node) throw new Error(`no connected node has id ${id}`);
    return node;
  }

  private end(id: string): SlotEnd {
    return { id, node: this.node(id) };
  }

  private async run(action: ClusterAction, log: PassLog): Promise<void> {
    switch (action.kind) {
      case 'report':
        log.problems.push(action.problem);
        return;
      case 'replicate':
        return this.replicate(action, log);
      case 'completeMigration':
      case 'resumeOrphan':
      case 'claimOrphan':
      case 'migrateSlots':
        log.actions.push(await this.moveSlots(action));
        return;
      default: {
        await this.command(action);
        const line = describeAction(action);
        if (line) log.actions.push(line);
      }
    }
  }

  /** A replica that cannot be attached is a problem of this pass, not the end of it. */
  private async replicate(
    action: Extract<ClusterAction, { kind: 'replicate' }>,
    log: PassLog,
  ): Promise<void> {
    try {
      await this.node(action.replica).cluster('REPLICATE', action.primary);
      log.actions.push(describeAction(action) ?? '');
    } catch (err: unknown) {
      log.problems.push(`CLUSTER REPLICATE on ${action.replicaLabel}: ${errorMessage(err)}`);
    }
  }

  /** One command on one node, or FORGET on all; the failures Redis makes harmless are ignored. */
  private async command(action: NodeCommand): Promise<void> {
    const ignore = (): undefined => undefined;
    switch (action.kind) {
      case 'setConfigEpochs':
        await Promise.all(
          action.epochs.map((e) => this.node(e.node).cluster('SET-CONFIG-EPOCH', e.epoch).catch(ignore)),
        );
        return;
      case 'meet':
        await this.node(action.via).cluster('MEET', action.pod.host, action.pod.port);
        return;
      case 'forget':
        // FORGET fails on a replica whose primary is the node; that node then forgets it itself later.
        await Promise.all(this.nodes.map((n) => n.cluster('FORGET', action.id).catch(ignore)));
        return;
      case 'forceFailover':
        await this.node(action.replica).cluster('FAILOVER', 'FORCE').catch(ignore);
        return;
      case 'addSlots':
        await this.node(action.node).cluster(
          'ADDSLOTSRANGE',
          ...action.ranges.flatMap((r) => [r.start, r.end]),
        );
        return;
    }
  }

  /** Slot migrations (cluster-migrate.ts); returns the action log line, with what moved. */
  private async moveSlots(action: SlotAction): Promise<string> {
    const opts = this.opts.migrate;
    switch (action.kind) {
      case 'completeMigration': {
        const others = action.notify.map((id) => this.node(id));
        const [from, to] = [this.end(action.from), this.end(action.to)];
        await migrateSlot(action.slot, from, to, others, opts, action.targetOwnsSlot);
        return describeAction(action) ?? '';
      }
      case 'resumeOrphan': {
        const primaries = action.primaries.map((id) => this.end(id));
        return resumeOrphanSlot(action.slot, this.end(action.owner), primaries, opts);
      }
      case 'claimOrphan': {
        return claimOrphanSlot(action.slot, action.sourceId, {
          owner: action.owner === undefined ? undefined : this.end(action.owner),
          importers: action.importers.map((id) => this.end(id)),
          primaries: action.primaries.map((id) => this.end(id)),
        });
      }
      case 'migrateSlots': {
        const keys = await this.migrateSlots(action.moves, action.primaries);
        return `rebalanced ${action.moves.length} slots (${keys} keys) over ${action.primaries.length} primaries`;
      }
    }
  }

  /**
   * Slots are independent, so several migrate at once; each slot's steps stay in order. Returns keys
   * moved. A failed slot fails the pass only once the rest of its chunk has settled: a migration left
   * running would race the next pass, which plans from marks it is still changing.
   */
  private async migrateSlots(moves: readonly SlotMove[], primaryIds: readonly string[]): Promise<number> {
    const primaries = primaryIds.map((id) => this.node(id));
    let keys = 0;
    for (let i = 0; i < moves.length; i += this.opts.migrateConcurrency) {
      const chunk = moves.slice(i, i + this.opts.migrateConcurrency);
      const settled = await Promise.allSettled(
        chunk.map((move) => {
          const [source, target] = [this.node(move.from), this.node(move.to)];
          const others = primaries.filter((n) => n !== source && n !== target);
          return migrateSlot(move.slot, this.end(move.from), this.end(move.to), others, this.opts.migrate);
        }),
      );
      for (const r of settled) {
        if (r.status === 'rejected') throw r.reason;
        keys += r.value;
      }
    }
    return keys;
  }
}
