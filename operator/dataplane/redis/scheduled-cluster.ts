/**
 * When RedisComponent runs a Redis Cluster pass, and what it does with the result. A pass talks to
 * the Redis pods (./reconcile.ts -> ./cluster.ts), so it runs only when due: the spec generation
 * changed, a member came, went, moved, restarted or became outdated, or the pass's own requeue
 * elapsed. Otherwise the last result is repeated, so a steady state issues no Redis traffic.
 */
import type { Logger } from 'pino';
import type { ComponentContext, ComponentEvent } from '../../controller/component.js';
import type { KubeClient } from '../../kube/client.js';
import { errorMessage } from '../../kube/errors.js';
import { Resources } from '../../kube/resources.js';
import type { KubeObject } from '../../workload/types.js';
import { labelled, repeatable } from '../contribution.js';
import type { Timed } from '../contribution.js';
import { nameOf, namespaceOf } from '../identity.js';
import { redisSelector } from '../labels.js';
import type { ChatbotDeployment, RedisShardStatus } from '../types.js';
import { toShardStatus } from './cluster.js';
import type { ClusterPod, ClusterReconcileResult } from './cluster.js';
import { shardMemoryStatus, withShardMemory } from './memory.js';
import { PASSWORD_KEY, redisNames } from './names.js';
import { clusterMembers, reconcileRedisCluster } from './reconcile.js';
import type { RedisCaches } from './component.js';

/** Bounds for one Redis Cluster pass: pods that do not answer (kwok, crash) must not stall the reconcile. */
const CLUSTER_TIMEOUTS = { connectTimeoutMs: 1500, convergeTimeoutMs: 3000, migrateTimeoutMs: 5000 };

export type ClusterKube = Pick<KubeClient, 'get' | 'delete'>;

export interface ClusterState {
  cluster?: Timed<ClusterReconcileResult>;
}

/** The last cluster pass, or a new one when due; undefined while there are no members or no password. */
export async function clusterWhenDue(
  kube: ClusterKube,
  caches: Pick<RedisCaches, 'pods' | 'statefulSets'>,
  ctx: ComponentContext,
  state: ClusterState,
): Promise<Timed<ClusterReconcileResult> | undefined> {
  const cbd = ctx.cbd;
  const now = ctx.now.getTime();
  const members = membersOf(cbd, caches);
  const inputs = `${cbd.metadata.uid ?? ''}/${cbd.metadata.generation ?? 0}/${membersFingerprint(members)}`;
  const repeated = repeatable(state.cluster, inputs, now);
  if (repeated) return repeated;
  if (members.length === 0) return undefined;
  const password = await readPassword(kube, cbd);
  if (password === undefined) return undefined;
  const result = await withShardMemory(await clusterPass(cbd, members, password, ctx.log), members, password);
  if (!result) return undefined;
  if (result.actions.length > 0) ctx.log.info({ actions: result.actions }, 'Redis Cluster');
  state.cluster = { inputs, dueAt: now + result.requeueAfterMs, result, fresh: true };
  return state.cluster;
}

/**
 * The members are pods of the CR's own StatefulSets, not anything carrying the labels. Pods and
 * StatefulSets come from the caches (both informers select managed-by, which Redis objects carry).
 */
function membersOf(cbd: ChatbotDeployment, caches: Pick<RedisCaches, 'pods' | 'statefulSets'>): ClusterPod[] {
  const ns = namespaceOf(cbd);
  const selector = redisSelector(nameOf(cbd));
  const sets = labelled(caches.statefulSets.list(ns), selector);
  return clusterMembers(cbd.metadata.uid, labelled(caches.pods.list(ns), selector), sets);
}

/** A member that comes, goes, moves, restarts in place or becomes outdated makes a pass due at once. */
function membersFingerprint(members: readonly ClusterPod[]): string {
  return members
    .map((m) => `${m.name ?? ''}@${m.host}#${m.restarts ?? 0}${m.outdated ? '*' : ''}`)
    .sort()
    .join(',');
}

/**
 * The Redis password, read when a cluster pass is due (never cached: deleting the Secret is how
 * it is rotated, see docs/dataplane.md).
 */
async function readPassword(kube: ClusterKube, cbd: ChatbotDeployment): Promise<string | undefined> {
  const secret = await kube.get<KubeObject & { data?: Record<string, string> }>(
    Resources.Secret,
    namespaceOf(cbd),
    redisNames.passwordSecret(nameOf(cbd)),
  );
  const raw = secret?.data?.[PASSWORD_KEY];
  return raw === undefined ? undefined : Buffer.from(raw, 'base64').toString('utf8');
}

/**
 * The pods a fresh cluster pass's roll step replaces (StatefulSet OnDelete recreates them), and
 * the pass's Events. A repeated (cached) result does neither again.
 */
export async function applyClusterSteps(
  kube: ClusterKube,
  ctx: ComponentContext,
  cluster: Timed<ClusterReconcileResult> | undefined,
): Promise<ComponentEvent[]> {
  if (!cluster?.fresh) return [];
  cluster.fresh = false;
  const ns = namespaceOf(ctx.cbd);
  for (const pod of cluster.result.deletePods) {
    await kube.delete(Resources.Pod, ns, pod);
    ctx.log.info({ pod }, 'deleted a Redis pod to update it (OnDelete roll)');
  }
  return cluster.result.events.map((e) => ({ ...e, action: 'Reconcile' }));
}

/** The CR as the cluster logic reads it: with the shard state just observed. */
export function withStatusShards(cbd: ChatbotDeployment, shards: RedisShardStatus[]): ChatbotDeployment {
  return { ...cbd, status: { ...cbd.status, redis: { shards } } };
}

/**
 * status.redis.shards after a cluster pass, in the CRD shape. A pass that observed no shards (the
 * cluster could not be reached) keeps the last written status: an empty list would let
 * effectiveShardCount prune StatefulSets of shards that are still being drained.
 */
export function observedShards(cbd: ChatbotDeployment, result: ClusterReconcileResult): RedisShardStatus[] {
  if (result.shards.length === 0) return cbd.status?.redis?.shards ?? [];
  return result.shards.map((s) => ({ ...toShardStatus(s), ...shardMemoryStatus(s) }));
}

/** One bounded Redis Cluster pass; an unexpected failure is RedisReady=False, never a failed reconcile. */
async function clusterPass(
  cbd: ChatbotDeployment,
  members: readonly ClusterPod[],
  password: string,
  log: Logger,
): Promise<ClusterReconcileResult | undefined> {
  try {
    return await reconcileRedisCluster(cbd, members, { password, ...CLUSTER_TIMEOUTS });
  } catch (err) {
    log.warn({ err: errorMessage(err) }, 'Redis Cluster pass failed');
    return {
      condition: {
        type: 'RedisReady',
        status: 'False',
        reason: 'RedisUnavailable',
        message: errorMessage(err),
      },
      shards: [], // observed nothing: observedShards keeps the last written status
      actions: [],
      requeueAfterMs: 10_000,
      events: [],
      deletePods: [],
    };
  }
}
