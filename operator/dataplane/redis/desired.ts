/**
 * Desired Kubernetes objects for managed Redis. PURE: (CR, owner) -> objects; no client, no clock.
 *
 * standalone: StatefulSet `<cr>-redis` (1 primary), headless Service, client Service, PDB.
 * cluster:    one StatefulSet per shard `<cr>-redis-shard-<i>` with 1 + replicasPerShard pods
 *             (pod 0 is the initial primary), one headless + one client Service, one PDB per shard.
 * The password Secret is NOT here: it is generated once by ./secret.ts and only created if missing.
 */
import type {
  V1Container,
  V1PersistentVolumeClaim,
  V1PodDisruptionBudget,
  V1PodSpec,
  V1Service,
  V1StatefulSet,
  V1Volume,
} from '@kubernetes/client-node';
import { ownerReferenceFor, resolveRedis } from '../defaults.js';
import type { ResolvedRedisSpec } from '../defaults.js';
import { REDIS_SHARD_LABEL, redisLabels, redisSelector } from '../labels.js';
import type { DataplaneCbd, OwnerReference, PodPlacement } from '../types.js';
import { memoryArgs } from './memory.js';
import { NODES_CONF, PASSWORD_KEY, REDIS_BUS_PORT, REDIS_PORT, redisNames } from './names.js';
import { redisContainerSecurityContext, redisPodSecurityContext } from './security.js';
import { effectiveShardCount } from './validate.js';

export type RedisObject = V1StatefulSet | V1Service | V1PodDisruptionBudget;

interface Ctx {
  cr: string;
  namespace: string;
  owner: OwnerReference;
  spec: ResolvedRedisSpec;
}

/** All managed-Redis objects to apply (server-side apply), or [] for external mode. */
export function desiredRedisObjects(cbd: DataplaneCbd, owner?: OwnerReference): RedisObject[] {
  const spec = resolveRedis(cbd);
  if (spec.mode === 'external') return [];
  const ctx: Ctx = {
    cr: cbd.metadata.name,
    namespace: cbd.metadata.namespace,
    owner: owner ?? ownerReferenceFor(cbd),
    spec,
  };
  const services = [headlessService(ctx), clientService(ctx)];
  if (spec.topology === 'standalone') {
    return [statefulSet(ctx, redisNames.statefulSet(ctx.cr), 1, undefined), ...services, standalonePdb(ctx)];
  }
  const objects: RedisObject[] = [...services];
  for (let shard = 0; shard < effectiveShardCount(cbd); shard++) {
    const replicas = 1 + spec.replicasPerShard;
    objects.push(statefulSet(ctx, redisNames.shardStatefulSet(ctx.cr, shard), replicas, shard));
    objects.push(shardPdb(ctx, shard));
  }
  return objects;
}

function meta(ctx: Ctx, name: string, extra: Record<string, string> = {}): V1StatefulSet['metadata'] {
  return {
    name,
    namespace: ctx.namespace,
    labels: { ...redisLabels(ctx.cr), ...extra },
    ownerReferences: [{ ...ctx.owner }],
  };
}

function shardLabels(shard: number | undefined): Record<string, string> {
  return shard === undefined ? {} : { [REDIS_SHARD_LABEL]: String(shard) };
}

function headlessService(ctx: Ctx): V1Service {
  const ports = [{ name: 'redis', port: REDIS_PORT, targetPort: REDIS_PORT }];
  if (ctx.spec.topology === 'cluster')
    ports.push({ name: 'bus', port: REDIS_BUS_PORT, targetPort: REDIS_BUS_PORT });
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(ctx, redisNames.headlessService(ctx.cr)),
    spec: {
      clusterIP: 'None',
      // Cluster bootstrap needs every pod's address before it is ready (it only becomes ready
      // once it serves slots), so DNS must publish not-ready pods.
      publishNotReadyAddresses: true,
      selector: redisSelector(ctx.cr),
      ports,
    },
  };
}

function clientService(ctx: Ctx): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(ctx, redisNames.clientService(ctx.cr)),
    spec: {
      type: 'ClusterIP',
      selector: redisSelector(ctx.cr),
      ports: [{ name: 'redis', port: REDIS_PORT, targetPort: REDIS_PORT }],
    },
  };
}

/**
 * A single pod cannot tolerate any disruption; minAvailable 1 would block every node drain
 * forever. maxUnavailable 1 keeps drains possible and still stops a second concurrent eviction
 * once replicas exist. Sessions are a TTL cache, so a short outage on drain is the lesser evil.
 */
function standalonePdb(ctx: Ctx): V1PodDisruptionBudget {
  return pdb(ctx, redisNames.pdb(ctx.cr), undefined);
}

/** Per shard: never evict the primary and its replica together (that would uncover slots). */
function shardPdb(ctx: Ctx, shard: number): V1PodDisruptionBudget {
  return pdb(ctx, redisNames.shardPdb(ctx.cr, shard), shard);
}

function pdb(ctx: Ctx, name: string, shard: number | undefined): V1PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(ctx, name, shardLabels(shard)),
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: { ...redisSelector(ctx.cr), ...shardLabels(shard) } },
    },
  };
}

function statefulSet(ctx: Ctx, name: string, replicas: number, shard: number | undefined): V1StatefulSet {
  const selector = { ...redisSelector(ctx.cr), ...shardLabels(shard) };
  const persistent = ctx.spec.storage !== undefined;
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta(ctx, name, shardLabels(shard)),
    spec: {
      serviceName: redisNames.headlessService(ctx.cr),
      replicas,
      // Redis nodes do not depend on each other's start order; the operator wires them up.
      podManagementPolicy: 'Parallel',
      // Cluster shards are OnDelete: the operator replaces pods itself, replicas first, a primary only
      // after a CLUSTER FAILOVER (redis/roll-plan.ts). Standalone has one pod and nothing to fail over to.
      updateStrategy: { type: shard === undefined ? 'RollingUpdate' : 'OnDelete' },
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: { ...redisLabels(ctx.cr), ...shardLabels(shard) } },
        spec: {
          automountServiceAccountToken: false,
          securityContext: redisPodSecurityContext(),
          terminationGracePeriodSeconds: 30,
          containers: [redisContainer(ctx)],
          volumes: persistent ? [] : [emptyDataVolume()],
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
      volumeClaimTemplates: persistent ? [dataClaim(ctx)] : undefined,
    },
  };
}

/** Only non-empty constraints: an empty nodeSelector or tolerations list would be an owned no-op field. */
function nodeConstraints(placement: PodPlacement): Pick<V1PodSpec, 'nodeSelector' | 'tolerations'> {
  const out: Pick<V1PodSpec, 'nodeSelector' | 'tolerations'> = {};
  if (placement.nodeSelector && Object.keys(placement.nodeSelector).length > 0)
    out.nodeSelector = placement.nodeSelector;
  if (placement.tolerations && placement.tolerations.length > 0) out.tolerations = placement.tolerations;
  return out;
}

function emptyDataVolume(): V1Volume {
  return { name: 'data', emptyDir: {} };
}

function dataClaim(ctx: Ctx): V1PersistentVolumeClaim {
  const storage = ctx.spec.storage;
  return {
    metadata: { name: 'data', labels: redisLabels(ctx.cr) },
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName: storage?.storageClassName,
      resources: { requests: { storage: storage?.size ?? '1Gi' } },
    },
  };
}

/**
 * Kubernetes expands $(VAR) in args from the container env, so the password never enters the spec.
 * Persistence (docs/dataplane.md "Persistence"): with storage, AOF with fsync every second (a crash
 * loses at most about the last second of writes) and no RDB snapshots; without storage, nothing is
 * written to disk.
 */
export function redisArgs(spec: ResolvedRedisSpec): string[] {
  const args = ['--port', String(REDIS_PORT), '--dir', '/data'];
  args.push('--requirepass', '$(REDIS_PASSWORD)', '--masterauth', '$(REDIS_PASSWORD)');
  if (spec.storage) args.push('--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '');
  else args.push('--appendonly', 'no', '--save', '');
  args.push(...memoryArgs(spec.resources));
  if (spec.topology === 'cluster') {
    args.push('--cluster-enabled', 'yes', '--cluster-config-file', NODES_CONF);
    args.push('--cluster-node-timeout', String(CLUSTER_NODE_TIMEOUT_MS));
  }
  return args;
}

/**
 * Whether a container start must forget its cluster identity. Without storage a restarted
 * container (same pod: the emptyDir survives) has no data; coming back under its old node id and
 * slots would make its replica resync to empty. Emptying nodes.conf makes it a NEW empty node: the
 * cluster promotes the replica, and the operator attaches the new node as a replica. With no
 * replica there is nobody to take over, so the identity is kept and the shard serves again at once
 * (its data is lost either way: status says NoRedundancy).
 */
export function forgetsIdentityOnStart(spec: ResolvedRedisSpec): boolean {
  return spec.topology === 'cluster' && spec.storage === undefined && spec.replicasPerShard >= 1;
}

/** cluster-node-timeout: a node silent this long is suspected failed (PFAIL), then FAIL by majority. */
export const CLUSTER_NODE_TIMEOUT_MS = 5_000;

/**
 * How long a restarted node stays silent before it starts as a new node. If it answered at its old
 * address at once, the other nodes would see a different node id there and mark the old id
 * `noaddr`; Redis never fails a noaddr node over (failure detection skips nodes without an
 * address), so its slots would stay with a dead id. Silent for 3 node timeouts, the old id goes
 * PFAIL, then FAIL, and its replica wins the election (about 6 to 8 s), before the new node appears.
 */
export const FAILOVER_WAIT_SECONDS = (3 * CLUSTER_NODE_TIMEOUT_MS) / 1000;

/**
 * Only a container that had an identity in this pod (a non-empty nodes.conf on the emptyDir) waits;
 * a new pod starts at once. `: >` empties the file (Redis treats an empty nodes.conf as absent);
 * `sleep & wait` with a TERM trap lets a pod deleted meanwhile stop at once. Builtins and sleep
 * only: the image need not ship rm.
 */
export const FORGET_IDENTITY = [
  `if [ -s ${NODES_CONF} ]; then`,
  "  trap 'exit 0' TERM INT",
  `  : > ${NODES_CONF}`,
  `  sleep ${FAILOVER_WAIT_SECONDS} & wait $!`,
  'fi',
  'exec redis-server "$@"',
].join('\n');

function redisCommand(spec: ResolvedRedisSpec): string[] {
  return forgetsIdentityOnStart(spec) ? ['sh', '-c', FORGET_IDENTITY, 'redis-server'] : ['redis-server'];
}

/**
 * Readiness means serving (REDISCLI_AUTH authenticates: no password on a command line). Standalone:
 * PING answers and no dataset is loading. Cluster: this node sees cluster_state:ok and is a primary
 * that owns slots or a replica whose link to its primary is up. The operator finds cluster members
 * by phase Running, not Ready, and the headless Service publishes not-ready addresses, so a new
 * cluster (no pod Ready before its slots are assigned) still bootstraps.
 */
export const STANDALONE_READINESS = [
  'r() { redis-cli -h 127.0.0.1 "$@"; }',
  'r ping | grep -q PONG || exit 1',
  "r info persistence | grep -q '^loading:0'",
].join('\n');

export const CLUSTER_READINESS = [
  'r() { redis-cli -h 127.0.0.1 "$@"; }',
  "r cluster info | grep -q '^cluster_state:ok' || exit 1",
  'line=$(r cluster nodes | grep myself) || exit 1',
  'set -- $line',
  'case "$3" in',
  '  *master*) [ "$#" -gt 8 ] ;;',
  "  *slave*) r info replication | grep -q '^master_link_status:up' ;;",
  '  *) exit 1 ;;',
  'esac',
].join('\n');

export function readinessScript(spec: ResolvedRedisSpec): string {
  return spec.topology === 'cluster' ? CLUSTER_READINESS : STANDALONE_READINESS;
}

function passwordEnv(envName: string, cr: string): NonNullable<V1Container['env']>[number] {
  return {
    name: envName,
    valueFrom: { secretKeyRef: { name: redisNames.passwordSecret(cr), key: PASSWORD_KEY } },
  };
}

function redisContainer(ctx: Ctx): V1Container {
  const ports = [{ name: 'redis', containerPort: REDIS_PORT }];
  if (ctx.spec.topology === 'cluster') ports.push({ name: 'bus', containerPort: REDIS_BUS_PORT });
  return {
    name: 'redis',
    image: ctx.spec.image,
    command: redisCommand(ctx.spec),
    args: redisArgs(ctx.spec),
    // REDISCLI_AUTH lets the exec probe authenticate without the password on a command line.
    env: [passwordEnv('REDIS_PASSWORD', ctx.cr), passwordEnv('REDISCLI_AUTH', ctx.cr)],
    ports,
    resources: ctx.spec.resources,
    securityContext: redisContainerSecurityContext(),
    volumeMounts: [{ name: 'data', mountPath: '/data' }],
    readinessProbe: {
      exec: { command: ['sh', '-c', readinessScript(ctx.spec)] },
      initialDelaySeconds: 2,
      periodSeconds: 5,
      timeoutSeconds: 3,
      failureThreshold: 3,
    },
    livenessProbe: {
      tcpSocket: { port: REDIS_PORT },
      initialDelaySeconds: 10,
      periodSeconds: 10,
      timeoutSeconds: 2,
      failureThreshold: 6,
    },
  };
}
