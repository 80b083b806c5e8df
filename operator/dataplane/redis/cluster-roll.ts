/**
 * One step of the OnDelete roll as the cluster pass sees it. PURE: roll-plan.ts decides from roll
 * members; this builds them from node views and turns the step into an outcome (message, Events,
 * pods to delete) or a coordinated failover the executor runs. Pod deletion itself is the caller's
 * (it holds the Kubernetes client): the step is returned in deletePods.
 */
import type { NodeView } from './cluster-node.js';
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

export type FailoverStep = Extract<RollStep, { kind: 'failover' }>;

/** The roll's next step: a finished outcome, or a coordinated failover for the executor to run. */
export type RollDecision =
  { kind: 'outcome'; outcome: RollOutcome } | { kind: 'failover'; step: FailoverStep; progress: string };

/** Any pod outdated? Only then does the pass read INFO replication for the roll. PURE. */
export function rollPending(views: readonly NodeView[]): boolean {
  return views.some((v) => v.pod.outdated);
}

/**
 * One roll step from node views and each node's INFO replication (by node id), or undefined when
 * every pod runs its StatefulSet's update revision. PURE.
 */
export function decideRoll(
  views: readonly NodeView[],
  replication: ReadonlyMap<string, ReadonlyMap<string, string>>,
  persistent: boolean,
  previousMessage?: string,
): RollDecision | undefined {
  if (!rollPending(views)) return undefined;
  const plan = planRoll({ members: rollMembers(views, replication), clusterOk: true, persistent });
  const progress = rollProgress(plan);
  const step = plan.step;
  const done = (message: string, more: Partial<RollOutcome> = {}): RollDecision => ({
    kind: 'outcome',
    outcome: outcome(progress, message, more),
  });
  switch (step.kind) {
    case 'idle':
      return undefined;
    case 'wait':
      return done(step.reason);
    case 'blocked': {
      // One Warning when the hold starts, not one per resync.
      const starts = previousMessage !== outcome(progress, step.reason).message;
      const events: RollEvent[] = starts
        ? [{ type: 'Warning', reason: 'RedisRollHeld', note: step.reason }]
        : [];
      return done(step.reason, { held: true, events });
    }
    case 'delete': {
      const note = `restarting pod ${step.pod} (${step.role} of shard ${step.shard}) to update it`;
      return done(note, {
        deletePods: [step.pod],
        actions: [`delete pod ${step.pod}`],
        events: [{ type: 'Normal', reason: 'RedisPodRestarted', note }],
      });
    }
    case 'failover':
      return { kind: 'failover', step, progress };
  }
}

function outcome(progress: string, message: string, more: Partial<RollOutcome> = {}): RollOutcome {
  return {
    message: `${progress}; ${message}`,
    actions: [],
    events: [],
    deletePods: [],
    held: false,
    ...more,
  };
}

/**
 * After CLUSTER FAILOVER (coordinated, no data loss: the primary pauses writes until the replica
 * caught up) on the step's replica: `promoted` undefined when that pod was not connected. PURE.
 */
export function failoverOutcome(
  step: FailoverStep,
  progress: string,
  promoted: boolean | undefined,
): RollOutcome {
  if (promoted === undefined) return outcome(progress, `pod ${step.replica} is not connected`);
  const note =
    `CLUSTER FAILOVER: ${step.replica} takes over shard ${step.shard} from ${step.primary}, ` +
    `which is updated next`;
  return outcome(progress, promoted ? note : `${note} (promotion still in progress)`, {
    actions: [`failover ${step.primary} -> ${step.replica}`],
    events: [{ type: 'Normal', reason: 'RedisFailover', note }],
  });
}
