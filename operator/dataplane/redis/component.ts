/**
 * RedisComponent: the sessions store of a fleet (spec.sessions.redis) as a FleetComponent (see
 * operator/controller/component.ts). It contributes the managed Redis objects as children (standalone,
 * or one StatefulSet per shard of a Redis Cluster), the generated password Secret (created once,
 * never re-applied; ./password-secret.ts), REDIS_* env for the bot pods, RedisReady (and the
 * NoRedundancy Degraded warning), status.redis, and prunes the Redis objects the spec no longer wants.
 *
 * Redis Cluster pods are talked to only when a pass is due (./scheduled-cluster.ts); a steady
 * reconcile repeats the last result and issues neither Redis traffic nor Kubernetes writes.
 */
import type {
  ComponentCaches,
  ComponentContext,
  ComponentEvent,
  Contribution,
  FleetComponent,
  OwnedChild,
} from '../../controller/component.js';
import { ownerReferenceFor } from '../../controller/ownership.js';
import type { ObjectCache } from '../../controller/reconciler.js';
import type { KubeClient } from '../../kube/client.js';
import { resourceFor } from '../../kube/resources.js';
import type { ConditionInput } from '../../workload/status.js';
import type { EnvVar, KubeObject } from '../../workload/types.js';
import { conditionInput, FleetStates } from '../contribution.js';
import { nameOf, namespaceOf } from '../identity.js';
import type { ChatbotDeployment, RedisShardStatus } from '../types.js';
import { desiredRedisObjects } from './desired.js';
import type { RedisObject } from './desired.js';
import { redisEnv } from './env.js';
import { redisNames } from './names.js';
import { RedisPasswordSecrets } from './password-secret.js';
import type { PasswordContribution } from './password-secret.js';
import { pruneRedis, prunedEvent, REDIS_CHILD_KINDS } from './prune.js';
import type { PruneState } from './prune.js';
import { redisReadyCondition } from './reconcile.js';
import { applyClusterSteps, clusterWhenDue, observedShards, withStatusShards } from './scheduled-cluster.js';
import type { ClusterState } from './scheduled-cluster.js';
import { redundancyWarning, validateRedis } from './validate.js';

/** The reads, the password Secret create, the prune and roll deletes; KubeClient satisfies it. */
export type RedisKube = Pick<KubeClient, 'get' | 'create' | 'delete'>;

/** The informer caches Redis objects are read from (never a GET or LIST per reconcile). */
export type RedisCaches = Pick<
  ComponentCaches,
  'statefulSets' | 'services' | 'podDisruptionBudgets' | 'pods'
> &
  Partial<Pick<ComponentCaches, 'secrets'>>;

export interface RedisOptions {
  caches: RedisCaches;
}

type RedisFleetState = ClusterState & PruneState;

interface RedisParts {
  children: OwnedChild[];
  conditions: ConditionInput[];
  status: Record<string, unknown>;
  requeueAfterMs?: number;
  /** children is the complete wanted set, so any other Redis object of the CR may go. */
  prunable: boolean;
  /** Cluster pass Events (failover, roll, lost shard). */
  events?: ComponentEvent[];
}

export class RedisComponent implements FleetComponent {
  readonly name = 'redis';
  private readonly fleets = new FleetStates<RedisFleetState>(() => ({}));
  private readonly childCaches: Map<string, ObjectCache>;
  private readonly passwords: RedisPasswordSecrets;

  constructor(
    private readonly kube: RedisKube,
    private readonly options: RedisOptions,
  ) {
    const c = options.caches;
    const caches = [c.statefulSets, c.services, c.podDisruptionBudgets];
    this.childCaches = new Map(REDIS_CHILD_KINDS.map((r, i) => [r.kind, caches[i]!]));
    this.passwords = new RedisPasswordSecrets(kube, c);
  }

  async reconcile(ctx: ComponentContext): Promise<Contribution> {
    // The password Secret first: the Redis pods and the bot pods read it.
    const password = usesManagedRedis(ctx.cbd) ? await this.passwords.reconcile(ctx) : undefined;
    const contribution = await this.reconcileParts(ctx);
    return password ? withPassword(contribution, password) : contribution;
  }

  forget(key: string): void {
    this.fleets.forget(key);
    this.passwords.forget(key);
  }

  /** Per-fleet state held now (one entry per fleet reconciled since it was last forgotten). */
  get fleetsTracked(): number {
    return this.fleets.size;
  }

  private async reconcileParts(ctx: ComponentContext): Promise<Contribution> {
    const cbd = ctx.cbd;
    const state = this.fleets.of(cbd);
    const redis = await this.redisParts(ctx, state);
    // A reconcile that cannot prune may apply objects (e.g. shards of a cluster that never got
    // Ready): forget the last pruned set, so the next prunable reconcile lists again.
    if (!redis.prunable) delete state.prunedFor;
    const pruned = redis.prunable
      ? await pruneRedis(this.kube, this.childCaches, ctx, state, redis.children)
      : [];
    const events = [...(redis.events ?? []), ...(pruned.length > 0 ? [prunedEvent(pruned)] : [])];
    const noRedundancy = redundancyWarning(cbd);
    return {
      children: redis.children,
      // Same shape; the data plane types it with client-node's looser V1EnvVar.
      env: redisEnv(cbd) as EnvVar[],
      conditions: [...redis.conditions, ...(noRedundancy ? [conditionInput(noRedundancy)] : [])],
      status: redis.status,
      ...(redis.requeueAfterMs !== undefined ? { requeueAfterMs: Math.max(0, redis.requeueAfterMs) } : {}),
      ...(events.length > 0 ? { events } : {}),
    };
  }

  private async redisParts(ctx: ComponentContext, state: RedisFleetState): Promise<RedisParts> {
    const cbd = ctx.cbd;
    const blocking = validateRedis(cbd);
    if (blocking)
      return { children: [], conditions: [conditionInput(blocking)], status: {}, prunable: false };
    const spec = cbd.spec.sessions.redis;
    if (spec.mode === 'external') {
      const cond = redisReadyCondition(cbd, 0);
      return { children: [], conditions: cond ? [conditionInput(cond)] : [], status: {}, prunable: true };
    }
    if (spec.topology === 'cluster') return this.managedCluster(ctx, state);
    const ready = this.readyReplicas(cbd);
    const cond = redisReadyCondition(cbd, ready);
    const name = redisNames.statefulSet(nameOf(cbd));
    return {
      children: this.childrenOf(desiredRedisObjects(cbd, ownerReferenceFor(cbd))),
      conditions: cond ? [conditionInput(cond)] : [],
      status: { redis: { shards: [standaloneShard(name, ready)] } },
      // No readiness polling: the StatefulSet informer enqueues the fleet when it changes.
      prunable: true,
    };
  }

  private async managedCluster(ctx: ComponentContext, state: RedisFleetState): Promise<RedisParts> {
    const cbd = ctx.cbd;
    const cluster = await clusterWhenDue(this.kube, this.options.caches, ctx, state);
    const events = await applyClusterSteps(this.kube, ctx, cluster);
    const shards = cluster ? observedShards(cbd, cluster.result) : undefined;
    // desiredRedisObjects reads exactly what is written to status.redis.shards (one shape).
    const withShards = shards ? withStatusShards(cbd, shards) : cbd;
    return {
      children: this.childrenOf(desiredRedisObjects(withShards, ownerReferenceFor(cbd))),
      conditions: cluster ? [conditionInput(cluster.result.condition)] : [],
      status: shards ? { redis: { shards } } : {},
      requeueAfterMs: cluster ? cluster.dueAt - ctx.now.getTime() : 5000,
      // A drained shard leaves the wanted set only through a cluster pass that saw every slot
      // covered elsewhere; anything less certain keeps every StatefulSet.
      prunable: cluster?.result.condition.status === 'True',
      events,
    };
  }

  /** The Redis objects as children, each read from the informer cache of its kind. */
  private childrenOf(objects: readonly RedisObject[]): OwnedChild[] {
    return objects.map((o) => {
      // Server-side apply sends plain JSON: the typed object without its undefined fields.
      const object = o.toJSON() as KubeObject;
      const resource = resourceFor(object.apiVersion, object.kind);
      const cache = this.childCaches.get(resource.kind);
      return { resource, object, ...(cache ? { cache } : {}) };
    });
  }

  private readyReplicas(cbd: ChatbotDeployment): number {
    const sts = this.options.caches.statefulSets.get(namespaceOf(cbd), redisNames.statefulSet(nameOf(cbd)));
    return (sts?.status as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0;
  }
}

/** Managed Redis (standalone or cluster) with a valid spec: the operator owns its password Secret. */
function usesManagedRedis(cbd: ChatbotDeployment): boolean {
  return !validateRedis(cbd) && cbd.spec.sessions.redis.mode !== 'external';
}

function withPassword(c: Contribution, p: PasswordContribution): Contribution {
  const events = [...p.events, ...(c.events ?? [])];
  return {
    ...c,
    podAnnotations: { ...c.podAnnotations, ...p.podAnnotations },
    ...(events.length > 0 ? { events } : {}),
  };
}

function standaloneShard(statefulSet: string, ready: number): RedisShardStatus {
  return { index: 0, primary: `${statefulSet}-0`, replicas: 0, ready: ready >= 1 };
}
