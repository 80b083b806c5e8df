/**
 * Carries out one step of the OnDelete roll (roll-plan.ts decides) against live nodes. Pod deletion
 * itself is the caller's (it holds the Kubernetes client): the step is returned in deletePods.
 */
import type { ClusterNode, NodeView } from './cluster-node.js';
import { podLabel } from './cluster-node.js';
import { planRoll, replicaInSync, rollProgress } from './roll-plan.js';
import type { RollMember, RollStep } from './roll-plan.js';

export interface RollEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  note: string;
}

export interface RollOutcome {
  message: string;
  actions: string[];
  events: RollEvent[];
  deletePods: string[];
  /** Held rolls re-check at the resync period; an active roll soon. */
  held: boolean;
}

export function rollSummary(updated: number, total: number): string {
  return rollProgress({ updated, total });
}

/** The shard primary's pod, as the roll sees roles: a master that owns slots. */
function isServingPrimary(v: NodeView): boolean {
  return v.self.flags.includes('master') && v.self.slots.length > 0;
}

/** Roll members from node views and each node's INFO replication (by node id). PURE. */
export function rollMembers(
  views: readonly NodeView[],
  replication: ReadonlyMap<string, ReadonlyMap<string, string>>,
): RollMember[] {
  return views.map((v) => {
    const base = { name: podLabel(v.pod), shard: v.pod.shard, outdated: v.pod.outdated === true };
    if (isServingPrimary(v)) return { ...base, role: 'primary', inSync: true };
    const primary = views.find((p) => p.id === v.self.primaryId && isServingPrimary(p));
    if (!primary) return { ...base, role: 'detached', inSync: false };
    const mine = replication.get(v.id);
    const theirs = replication.get(primary.id);
    const inSync = replicaInSync({
      linkStatus: mine?.get('master_link_status'),
      syncInProgress: mine?.get('master_sync_in_progress'),
      replicaOffset: Number(mine?.get('slave_repl_offset')),
      primaryOffset: Number(theirs?.get('master_repl_offset')),
    });
    return { ...base, role: 'replica', primary: podLabel(primary.pod), inSync };
  });
}

export interface RollDeps {
  /** Polls `probe` until it returns a value or the pass's converge timeout. */
  waitFor: <T>(probe: () => Promise<T | undefined>) => Promise<T | undefined>;
}

/** One roll step, or undefined when every pod runs its StatefulSet's update revision. */
export async function runRollStep(
  nodes: readonly ClusterNode[],
  views: readonly NodeView[],
  persistent: boolean,
  deps: RollDeps,
  previousMessage?: string,
): Promise<RollOutcome | undefined> {
  if (!views.some((v) => v.pod.outdated)) return undefined;
  const replication = new Map(
    await Promise.all(nodes.map(async (n, i) => [views[i]?.id ?? '', await n.replication()] as const)),
  );
  const plan = planRoll({ members: rollMembers(views, replication), clusterOk: true, persistent });
  const progress = rollProgress(plan);
  const outcome = (message: string, more: Partial<RollOutcome> = {}): RollOutcome => ({
    message: `${progress}; ${message}`,
    actions: [],
    events: [],
    deletePods: [],
    held: false,
    ...more,
  });
  return stepOutcome(plan.step, nodes, deps, outcome, previousMessage);
}

async function stepOutcome(
  step: RollStep,
  nodes: readonly ClusterNode[],
  deps: RollDeps,
  outcome: (message: string, more?: Partial<RollOutcome>) => RollOutcome,
  previousMessage: string | undefined,
): Promise<RollOutcome | undefined> {
  switch (step.kind) {
    case 'idle':
      return undefined;
    case 'wait':
      return outcome(step.reason);
    case 'blocked': {
      const held = outcome(step.reason, { held: true });
      // One Warning when the hold starts, not one per resync.
      if (previousMessage !== held.message)
        held.events.push({ type: 'Warning', reason: 'RedisRollHeld', note: step.reason });
      return held;
    }
    case 'delete': {
      const note = `restarting pod ${step.pod} (${step.role} of shard ${step.shard}) to update it`;
      return outcome(note, {
        deletePods: [step.pod],
        actions: [`delete pod ${step.pod}`],
        events: [{ type: 'Normal', reason: 'RedisPodRestarted', note }],
      });
    }
    case 'failover':
      return failover(step, nodes, deps, outcome);
  }
}

/** CLUSTER FAILOVER (coordinated, no data loss: the primary pauses writes until the replica caught up). */
async function failover(
  step: Extract<RollStep, { kind: 'failover' }>,
  nodes: readonly ClusterNode[],
  deps: RollDeps,
  outcome: (message: string, more?: Partial<RollOutcome>) => RollOutcome,
): Promise<RollOutcome> {
  const node = nodes.find((n) => podLabel(n.pod) === step.replica);
  if (!node) return outcome(`pod ${step.replica} is not connected`);
  await node.cluster('FAILOVER');
  const promoted = await deps.waitFor(async () => {
    const view = await node.view();
    return view.self.flags.includes('master') && view.self.slots.length > 0 ? true : undefined;
  });
  const note =
    `CLUSTER FAILOVER: ${step.replica} takes over shard ${step.shard} from ${step.primary}, ` +
    `which is updated next`;
  return outcome(promoted ? note : `${note} (promotion still in progress)`, {
    actions: [`failover ${step.primary} -> ${step.replica}`],
    events: [{ type: 'Normal', reason: 'RedisFailover', note }],
  });
}
