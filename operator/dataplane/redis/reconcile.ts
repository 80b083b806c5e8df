/** CR-level Redis entry points: map pods to cluster members and pick the RedisReady condition. */
import { condition, REDIS_READY, RedisReason } from '../conditions.js';
import { REDIS_SHARD_LABEL } from '../labels.js';
import type { Condition, ChatbotDeployment } from '../types.js';
import { RedisClusterManager } from './cluster.js';
import type { ClusterPod, ClusterReconcileResult, RedisClusterOptions } from './cluster.js';
import { REDIS_PORT } from './names.js';
import { validateRedis } from './validate.js';

interface OwnerRefLike {
  kind?: string;
  uid?: string;
  controller?: boolean;
}

/** Set on every StatefulSet pod: the revision of the template it was created from. */
export const REVISION_LABEL = 'controller-revision-hash';

/** The few Pod fields needed; a V1Pod satisfies it. */
export interface PodLike {
  metadata?: {
    name?: string;
    labels?: Record<string, string>;
    deletionTimestamp?: unknown;
    ownerReferences?: OwnerRefLike[];
  };
  status?: {
    podIP?: string;
    phase?: string;
    containerStatuses?: { name?: string; restartCount?: number }[];
  };
}

/** A StatefulSet as read here: its uid, controller and (OnDelete roll) update revision. */
export interface StatefulSetLike {
  metadata?: { uid?: string; ownerReferences?: OwnerRefLike[] };
  status?: { updateRevision?: string };
}

/**
 * uids of the StatefulSets the CR controls (controller ownerReference with the CR's uid). PURE.
 * Only pods of these are cluster members: labels can be copied by anyone who may create pods, and a
 * spoofed member would be sent CLUSTER MEET, MIGRATE and the Redis password (AUTH).
 */
export function controlledStatefulSets(
  crUid: string | undefined,
  sets: readonly StatefulSetLike[],
): Set<string> {
  const uids = new Set<string>();
  for (const sts of sets) {
    const ref = sts.metadata?.ownerReferences?.find((r) => r.controller === true);
    if (crUid && sts.metadata?.uid && ref?.uid === crUid) uids.add(sts.metadata.uid);
  }
  return uids;
}

/** True when the pod's controller is one of `statefulSets` (by uid). */
function controlledByOneOf(pod: PodLike, statefulSets: ReadonlySet<string>): boolean {
  const ref = pod.metadata?.ownerReferences?.find((r) => r.controller === true);
  return ref?.kind === 'StatefulSet' && ref.uid !== undefined && statefulSets.has(ref.uid);
}

/**
 * Running Redis pods of the CR -> cluster members. Pods without an IP or being deleted are left
 * out, which makes the cluster logic wait (WaitingForPods) instead of meeting a dying node. With
 * `statefulSets` (uids from controlledStatefulSets), pods not controlled by one of them are ignored.
 */
export function clusterPodsFromPods(
  pods: readonly PodLike[],
  statefulSets?: ReadonlySet<string>,
): ClusterPod[] {
  return pods
    .filter((p) => statefulSets === undefined || controlledByOneOf(p, statefulSets))
    .map(toClusterPod)
    .filter((p): p is ClusterPod => p !== undefined);
}

/**
 * The CR's cluster members (clusterPodsFromPods over the CR's own StatefulSets), each marked
 * `outdated` when its controller-revision-hash is not its StatefulSet's status.updateRevision:
 * with updateStrategy OnDelete that is the pod the operator's roll must still replace. PURE.
 */
export function clusterMembers(
  crUid: string | undefined,
  pods: readonly PodLike[],
  sets: readonly StatefulSetLike[],
): ClusterPod[] {
  const controlled = controlledStatefulSets(crUid, sets);
  const updateRevision = new Map(
    sets.flatMap((s) => (s.metadata?.uid ? [[s.metadata.uid, s.status?.updateRevision] as const] : [])),
  );
  return pods
    .filter((p) => controlledByOneOf(p, controlled))
    .flatMap((p) => {
      const member = toClusterPod(p);
      return member ? [{ ...member, ...rollState(p, updateRevision) }] : [];
    });
}

/** Whether the pod runs an older revision than its StatefulSet's, and its redis container's restarts. */
function rollState(
  p: PodLike,
  updateRevision: ReadonlyMap<string, string | undefined>,
): { outdated: boolean; restarts: number } {
  const owner = p.metadata?.ownerReferences?.find((r) => r.controller === true)?.uid ?? '';
  const wanted = updateRevision.get(owner);
  const revision = p.metadata?.labels?.[REVISION_LABEL];
  // No updateRevision yet (a StatefulSet just created): nothing to roll.
  const outdated = wanted !== undefined && revision !== undefined && revision !== wanted;
  return { outdated, restarts: redisRestarts(p) };
}

function redisRestarts(p: PodLike): number {
  return p.status?.containerStatuses?.find((c) => c.name === 'redis')?.restartCount ?? 0;
}

function isServing(pod: PodLike): pod is PodLike & { status: { podIP: string } } {
  return Boolean(pod.status?.podIP) && !pod.metadata?.deletionTimestamp && pod.status?.phase === 'Running';
}

/** StatefulSet pods carry apps.kubernetes.io/pod-index (k8s >= 1.28); older ones only the name suffix. */
function podOrdinal(name: string, labels: Record<string, string>): number {
  return Number(labels['apps.kubernetes.io/pod-index'] ?? /-(\d+)$/.exec(name)?.[1]);
}

function toClusterPod(pod: PodLike): ClusterPod | undefined {
  if (!isServing(pod)) return undefined;
  const labels = pod.metadata?.labels ?? {};
  const name = pod.metadata?.name ?? '';
  const shard = Number(labels[REDIS_SHARD_LABEL]);
  const ordinal = podOrdinal(name, labels);
  if (!Number.isInteger(shard) || !Number.isInteger(ordinal)) return undefined;
  return { shard, ordinal, host: pod.status.podIP, port: REDIS_PORT, name };
}

export interface RedisClusterDeps extends RedisClusterOptions {
  /** The value of the generated Secret `<cr>-redis-auth` key `password` (the caller reads it). */
  password: string;
}

/** undefined unless the CR runs a managed Redis Cluster. */
export async function reconcileRedisCluster(
  cbd: ChatbotDeployment,
  pods: readonly ClusterPod[],
  deps: RedisClusterDeps,
): Promise<ClusterReconcileResult | undefined> {
  const spec = cbd.spec.sessions.redis;
  if (spec.mode !== 'managed' || spec.topology !== 'cluster') return undefined;
  const manager = new RedisClusterManager(deps);
  const previous = cbd.status?.conditions?.find((c) => c.type === REDIS_READY);
  // The spec's shard count is the target: shards beyond it that still own slots are drained.
  return manager.reconcile(
    { shards: spec.shards, replicasPerShard: spec.replicasPerShard, persistent: spec.storage !== undefined },
    pods,
    undefined,
    { reason: previous?.reason, message: previous?.message },
  );
}

/**
 * RedisReady for standalone and external modes (cluster mode gets it from reconcileRedisCluster).
 * PURE: the caller passes the StatefulSet's readyReplicas.
 */
export function redisReadyCondition(
  cbd: ChatbotDeployment,
  standaloneReadyReplicas: number,
): Condition | undefined {
  const blocking = validateRedis(cbd);
  if (blocking) return blocking;
  const spec = cbd.spec.sessions.redis;
  if (spec.mode === 'external') {
    return condition(
      REDIS_READY,
      true,
      RedisReason.External,
      `using external Redis from Secret ${spec.secretRef?.name ?? ''}`,
    );
  }
  if (spec.topology === 'cluster') return undefined;
  return standaloneReadyReplicas >= 1
    ? condition(REDIS_READY, true, RedisReason.Ready, 'standalone Redis is ready')
    : condition(REDIS_READY, false, RedisReason.WaitingForPods, 'waiting for the Redis pod to become ready');
}
