/**
 * Desired Kubernetes objects for managed Redis. PURE: (CR, owner) -> objects; no client, no clock.
 * Built with the kubernetes-models typed classes (the unit tests `.validate()` each one against the
 * Kubernetes schema); RedisComponent hands their `.toJSON()` to server-side apply.
 *
 * standalone: StatefulSet `<cr>-redis` (1 primary), headless Service, client Service, PDB.
 * cluster:    one StatefulSet per shard `<cr>-redis-shard-<i>` with 1 + replicasPerShard pods
 *             (pod 0 is the initial primary), one headless + one client Service, one PDB per shard.
 * The password Secret is NOT here: it is generated once by ./secret.ts and only created if missing.
 * The Redis container itself is ./container.ts.
 */
import type { IObjectMeta } from '@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { Service } from 'kubernetes-models/v1/Service';
import type { IServicePort } from 'kubernetes-models/v1/ServicePort';
import { ownerReferenceFor } from '../../controller/ownership.js';
import { nameOf, namespaceOf } from '../identity.js';
import { REDIS_SHARD_LABEL, redisLabels, redisSelector } from '../labels.js';
import type { ChatbotDeployment, OwnerReference, RedisPlacementSpec, RedisSpec } from '../types.js';
import { redisContainer } from './container.js';
import { REDIS_BUS_PORT, REDIS_PORT, redisNames } from './names.js';
import { redisPodSecurityContext } from './security.js';
import { effectiveShardCount } from './validate.js';

export type RedisObject = StatefulSet | Service | PodDisruptionBudget;

interface Ctx {
  /** The CR's name: every object's name and labels derive from it. */
  name: string;
  namespace: string;
  owner: OwnerReference;
  spec: RedisSpec;
}

/** All managed-Redis objects to apply (server-side apply), or [] for external mode. */
export function desiredRedisObjects(cbd: ChatbotDeployment, owner?: OwnerReference): RedisObject[] {
  const spec = cbd.spec.sessions.redis;
  if (spec.mode === 'external') return [];
  const ctx: Ctx = {
    name: nameOf(cbd),
    namespace: namespaceOf(cbd),
    owner: owner ?? ownerReferenceFor(cbd),
    spec,
  };
  const services = [headlessService(ctx), clientService(ctx)];
  if (spec.topology === 'standalone') {
    return [
      statefulSet(ctx, redisNames.statefulSet(ctx.name), 1, undefined),
      ...services,
      standalonePdb(ctx),
    ];
  }
  const objects: RedisObject[] = [...services];
  for (let shard = 0; shard < effectiveShardCount(cbd); shard++) {
    const replicas = 1 + spec.replicasPerShard;
    objects.push(statefulSet(ctx, redisNames.shardStatefulSet(ctx.name, shard), replicas, shard));
    objects.push(shardPdb(ctx, shard));
  }
  return objects;
}

function meta(ctx: Ctx, name: string, extra: Record<string, string> = {}): IObjectMeta {
  return {
    name,
    namespace: ctx.namespace,
    labels: { ...redisLabels(ctx.name), ...extra },
    ownerReferences: [{ ...ctx.owner }],
  };
}

function shardLabels(shard: number | undefined): Record<string, string> {
  return shard === undefined ? {} : { [REDIS_SHARD_LABEL]: String(shard) };
}

function headlessService(ctx: Ctx): Service {
  const ports: IServicePort[] = [{ name: 'redis', port: REDIS_PORT, targetPort: REDIS_PORT }];
  if (ctx.spec.topology === 'cluster')
    ports.push({ name: 'bus', port: REDIS_BUS_PORT, targetPort: REDIS_BUS_PORT });
  return new Service({
    metadata: meta(ctx, redisNames.headlessService(ctx.name)),
    spec: {
      clusterIP: 'None',
      // Cluster bootstrap needs every pod's address before it is ready (it only becomes ready
      // once it serves slots), so DNS must publish not-ready pods.
      publishNotReadyAddresses: true,
      selector: redisSelector(ctx.name),
      ports,
    },
  });
}

function clientService(ctx: Ctx): Service {
  return new Service({
    metadata: meta(ctx, redisNames.clientService(ctx.name)),
    spec: {
      type: 'ClusterIP',
      selector: redisSelector(ctx.name),
      ports: [{ name: 'redis', port: REDIS_PORT, targetPort: REDIS_PORT }],
    },
  });
}

/**
 * A single pod cannot tolerate any disruption; minAvailable 1 would block every node drain
 * forever. maxUnavailable 1 keeps drains possible and still stops a second concurrent eviction
 * once replicas exist. Sessions are a TTL cache, so a short outage on drain is the lesser evil.
 */
function standalonePdb(ctx: Ctx): PodDisruptionBudget {
  return pdb(ctx, redisNames.pdb(ctx.name), undefined);
}

/** Per shard: never evict the primary and its replica together (that would uncover slots). */
function shardPdb(ctx: Ctx, shard: number): PodDisruptionBudget {
  return pdb(ctx, redisNames.shardPdb(ctx.name, shard), shard);
}

function pdb(ctx: Ctx, name: string, shard: number | undefined): PodDisruptionBudget {
  return new PodDisruptionBudget({
    metadata: meta(ctx, name, shardLabels(shard)),
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: { ...redisSelector(ctx.name), ...shardLabels(shard) } },
    },
  });
}

function statefulSet(ctx: Ctx, name: string, replicas: number, shard: number | undefined): StatefulSet {
  const selector = { ...redisSelector(ctx.name), ...shardLabels(shard) };
  const persistent = ctx.spec.storage !== undefined;
  return new StatefulSet({
    metadata: meta(ctx, name, shardLabels(shard)),
    spec: {
      serviceName: redisNames.headlessService(ctx.name),
      replicas,
      // Redis nodes do not depend on each other's start order; the operator wires them up.
      podManagementPolicy: 'Parallel',
      // Cluster shards are OnDelete: the operator replaces pods itself, replicas first, a primary only
      // after a CLUSTER FAILOVER (redis/roll-plan.ts). Standalone has one pod and nothing to fail over to.
      updateStrategy: { type: shard === undefined ? 'RollingUpdate' : 'OnDelete' },
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: { ...redisLabels(ctx.name), ...shardLabels(shard) } },
        spec: {
          automountServiceAccountToken: false,
          securityContext: redisPodSecurityContext(),
          terminationGracePeriodSeconds: 30,
          containers: [redisContainer(ctx.name, ctx.spec)],
          volumes: persistent ? [] : [{ name: 'data', emptyDir: {} }],
          ...nodeConstraints(ctx.spec.placement),
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'topology.kubernetes.io/zone',
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: { matchLabels: selector },
            },
          ],
        },
      },
      ...(persistent ? { volumeClaimTemplates: [dataClaim(ctx)] } : {}),
    },
  });
}

/** Only non-empty constraints: an empty nodeSelector or tolerations list would be an owned no-op field. */
function nodeConstraints(
  placement: RedisPlacementSpec | undefined,
): Pick<IPodSpec, 'nodeSelector' | 'tolerations'> {
  const out: Pick<IPodSpec, 'nodeSelector' | 'tolerations'> = {};
  if (placement?.nodeSelector && Object.keys(placement.nodeSelector).length > 0)
    out.nodeSelector = placement.nodeSelector;
  if (placement?.tolerations && placement.tolerations.length > 0) out.tolerations = placement.tolerations;
  return out;
}

function dataClaim(ctx: Ctx): IPersistentVolumeClaim {
  const storage = ctx.spec.storage;
  // apiVersion and kind are what the API server stores in a claim template anyway.
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data', labels: redisLabels(ctx.name) },
    spec: {
      accessModes: ['ReadWriteOnce'],
      ...(storage?.storageClassName !== undefined ? { storageClassName: storage.storageClassName } : {}),
      resources: { requests: { storage: storage?.size ?? '1Gi' } },
    },
  };
}
