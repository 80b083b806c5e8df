/**
 * WorkersComponent: the fleet's background worker pool (spec.workers, docs/workers.md) as a
 * FleetComponent (operator/controller/component.ts). It contributes the Deployment `<name>-worker`
 * (and its PDB) as children, status.workers, WorkersReady and the WorkersScaled / WorkerLagUnavailable
 * Events, and deletes those children when the workers are turned off.
 *
 * It is the only writer of the worker Deployment's replicas: each lag read (due every LAG_POLL_MS, or
 * at once after a spec change) is turned into a count by the pure core (./scaling/decide.ts); between
 * reads the last decision is repeated, so a steady fleet issues no broker call and no write. The chat
 * autoscaler never sees the worker Deployment (it sizes the stable track) nor its pods (other labels).
 */
import type {
  ComponentContext,
  ComponentEvent,
  Contribution,
  FleetComponent,
  OwnedChild,
} from '../controller/component.js';
import { fleetKey } from '../controller/fleet-key.js';
import { controlledBy } from '../controller/ownership.js';
import type { FleetCaches } from '../controller/reconciler.js';
import { ANNOTATION_REDIS_PASSWORD, topicOf } from '../dataplane/index.js';
import { ConditionReason, ConditionType, workersEnabled } from '../api/index.js';
import type { KubeClient } from '../kube/client.js';
import { Resources } from '../kube/resources.js';
import { crNamespace } from '../workload/labels.js';
import type { ChatbotDeployment, KubeObject } from '../workload/types.js';
import { plainObject } from '../workload/types.js';
import { desiredWorkerDeployment, desiredWorkerPodDisruptionBudget } from './desired.js';
import type { WorkerLagSource } from './lag-source.js';
import { workerObjectName } from './names.js';
import { decideWorkerReplicas } from './scaling/decide.js';
import type { WorkerScalingState } from './scaling/types.js';
import { liveWorkerReplicas, workerEvents, workersReadyCondition, workersStatus } from './status.js';
import type { EventMemory, WorkersObservation } from './status.js';

/** How often the group's lag is read (KEDA polls every 30 s by default; scale-from-zero wants less). */
export const LAG_POLL_MS = 15_000;

interface FleetMemory {
  /** uid/generation the last read was for: a spec change reads again at once. */
  inputs?: string;
  dueAt?: number;
  last?: Omit<WorkersObservation, 'deployment'>;
  scaling?: WorkerScalingState;
  events: EventMemory;
}

export interface WorkersOptions {
  lag: WorkerLagSource;
  /** The core's informer caches (the worker Deployment and PDB are read from them, never fetched). */
  caches: Pick<FleetCaches, 'deployments' | 'podDisruptionBudgets'>;
  pollMs?: number;
}

interface PodTemplateLike {
  template?: {
    metadata?: { annotations?: Record<string, string> };
    spec?: { containers?: { name?: string; image?: string }[] };
  };
}

/**
 * The Redis password stamp on the stable bots' pod template: the Redis component moves it once a new
 * password is live, which rolls the bots; copied here, it rolls the workers (same secretKeyRef env) too.
 */
function rollingAnnotations(deployment: KubeObject | undefined): Record<string, string> {
  const stamp = (deployment?.spec as PodTemplateLike | undefined)?.template?.metadata?.annotations?.[
    ANNOTATION_REDIS_PASSWORD
  ];
  return stamp ? { [ANNOTATION_REDIS_PASSWORD]: stamp } : {};
}

/** The image the stable bots run now (during a rollout, not the spec's new one); the spec's before they exist. */
function stableImage(cbd: ChatbotDeployment, deployment: KubeObject | undefined): string {
  const spec = deployment?.spec as PodTemplateLike | undefined;
  const bot = spec?.template?.spec?.containers?.find((c) => c.name === 'bot');
  return bot?.image ?? cbd.spec.runtime.image;
}

export class WorkersComponent implements FleetComponent {
  readonly name = 'workers';
  private readonly fleets = new Map<string, FleetMemory>();

  constructor(
    private readonly kube: Pick<KubeClient, 'delete'>,
    private readonly options: WorkersOptions,
  ) {}

  async reconcile(ctx: ComponentContext): Promise<Contribution> {
    const cbd = ctx.cbd;
    const tasks = topicOf(cbd, 'tasks');
    if (!workersEnabled(cbd.spec) || tasks === undefined) {
      // Turned off: drop this fleet's memory here and in the lag source (its credentials too).
      this.forget(fleetKey(cbd));
      await this.prune(ctx, { deployment: false, pdb: false });
      return tasks === undefined && workersEnabled(cbd.spec) ? noTasksTopic() : {};
    }
    const live = this.options.caches.deployments.get(crNamespace(cbd), workerObjectName(cbd));
    const memory = this.memoryOf(cbd);
    const fresh = await this.decideWhenDue(ctx, memory, live, tasks);
    const observed: WorkersObservation = { ...fresh.last, deployment: live };
    const pdb = desiredWorkerPodDisruptionBudget(cbd);
    await this.prune(ctx, { deployment: true, pdb: pdb !== undefined });
    const deployment = desiredWorkerDeployment(cbd, {
      replicas: observed.decision.desiredReplicas,
      image: stableImage(cbd, ctx.deployment),
      podAnnotations: rollingAnnotations(ctx.deployment),
    });
    const children: OwnedChild[] = [
      {
        resource: Resources.Deployment,
        object: plainObject(deployment),
        cache: this.options.caches.deployments,
      },
      ...(pdb
        ? [
            {
              resource: Resources.PodDisruptionBudget,
              object: plainObject(pdb),
              cache: this.options.caches.podDisruptionBudgets,
            },
          ]
        : []),
    ];
    return {
      children,
      status: { workers: workersStatus(observed) },
      conditions: [workersReadyCondition(observed)],
      events: fresh.events,
      requeueAfterMs: Math.max(0, (memory.dueAt ?? 0) - ctx.now.getTime()),
    };
  }

  forget(key: string): void {
    this.fleets.delete(key);
    this.options.lag.forget?.(key);
  }

  /** Per-fleet memory held now (one entry per fleet with workers, until it is forgotten or turned off). */
  get fleetsTracked(): number {
    return this.fleets.size;
  }

  async close(): Promise<void> {
    await this.options.lag.close();
  }

  /** Per-fleet memory; after an operator restart it starts from what status recorded. */
  private memoryOf(cbd: ChatbotDeployment): FleetMemory {
    const key = fleetKey(cbd);
    const known = this.fleets.get(key);
    if (known) return known;
    const previous = cbd.status?.workers;
    const lastScaleAt = previous?.lastScaleTime ? Date.parse(previous.lastScaleTime) : NaN;
    const memory: FleetMemory = {
      scaling: Number.isFinite(lastScaleAt) ? { lastScaleAt } : {},
      events: {
        ...(previous?.desiredReplicas !== undefined ? { desiredReplicas: previous.desiredReplicas } : {}),
        lagUnavailable: previous?.reason === ConditionReason.LagUnavailable,
      },
    };
    this.fleets.set(key, memory);
    return memory;
  }

  /** A new lag read and decision when due; otherwise the last one again (no broker call, no Events). */
  private async decideWhenDue(
    ctx: ComponentContext,
    memory: FleetMemory,
    live: KubeObject | undefined,
    topic: string,
  ): Promise<{ last: NonNullable<FleetMemory['last']>; events: ComponentEvent[] }> {
    const { cbd } = ctx;
    const now = ctx.now.getTime();
    const inputs = `${cbd.metadata.uid ?? ''}/${cbd.metadata.generation ?? 0}`;
    const repeated = repeatable(memory, inputs, now);
    if (repeated) return { last: repeated, events: [] };
    const observation = await this.options.lag.read(cbd, topic, ctx.signal);
    if (observation.kind === 'unavailable')
      ctx.log.warn({ reason: observation.reason }, 'worker lag unavailable');
    const current = currentReplicas(memory, live);
    const decision = decideWorkerReplicas(cbd.spec.workers, current, observation, memory.scaling ?? {}, now);
    const last = { observation, decision };
    const events = workerEvents(memory.events, { ...last, deployment: live });
    remember(memory, { inputs, dueAt: now + (this.options.pollMs ?? LAG_POLL_MS), last });
    return { last, events };
  }

  /** Deletes the worker Deployment / PDB this fleet controls when they are not wanted (from the caches: no read). */
  private async prune(ctx: ComponentContext, wanted: { deployment: boolean; pdb: boolean }): Promise<void> {
    const cbd = ctx.cbd;
    const ns = crNamespace(cbd);
    const name = workerObjectName(cbd);
    const candidates = [
      { resource: Resources.Deployment, cache: this.options.caches.deployments, keep: wanted.deployment },
      {
        resource: Resources.PodDisruptionBudget,
        cache: this.options.caches.podDisruptionBudgets,
        keep: wanted.pdb,
      },
    ];
    for (const c of candidates) {
      const obj = c.keep ? undefined : c.cache.get(ns, name);
      if (obj && controlledBy(obj, cbd) && (await this.kube.delete(c.resource, ns, name))) {
        ctx.log.info({ kind: c.resource.kind, name }, 'deleted a worker object the spec no longer wants');
      }
    }
  }
}

/** The last decision while it is not due again and the spec is unchanged. */
function repeatable(memory: FleetMemory, inputs: string, now: number): FleetMemory['last'] {
  return memory.inputs === inputs && now < (memory.dueAt ?? 0) ? memory.last : undefined;
}

/** Before the Deployment is in the cache, the count last decided (it was just applied), else 0. */
function currentReplicas(memory: FleetMemory, live: KubeObject | undefined): number {
  return live ? liveWorkerReplicas(live) : (memory.last?.decision.desiredReplicas ?? 0);
}

function remember(
  memory: FleetMemory,
  read: { inputs: string; dueAt: number; last: NonNullable<FleetMemory['last']> },
): void {
  const { observation, decision } = read.last;
  memory.inputs = read.inputs;
  memory.dueAt = read.dueAt;
  memory.last = read.last;
  memory.scaling = decision.state;
  memory.events = {
    desiredReplicas: decision.desiredReplicas,
    lagUnavailable: observation.kind === 'unavailable',
  };
}

function noTasksTopic(): Contribution {
  return {
    conditions: [
      {
        type: ConditionType.WorkersReady,
        status: 'False',
        reason: ConditionReason.NoTasksTopic,
        message:
          'spec.messaging.kafka.topics lists no topic with purpose tasks: no worker runs; add one, or set spec.workers.enabled false',
      },
    ],
  };
}
