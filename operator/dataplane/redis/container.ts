/**
 * The Redis container of every managed Redis pod: command, arguments (persistence, memory bounds,
 * cluster mode), probes and the password env. PURE: (spec, CR name) -> container; no client, no clock.
 */
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import type { IResourceRequirements } from 'kubernetes-models/v1/ResourceRequirements';
import type { RedisResources, RedisSpec } from '../types.js';
import { EPHEMERAL_STANDALONE_EVICTION_SAMPLES, memoryArgs } from './memory.js';
import { NODES_CONF, PASSWORD_KEY, REDIS_BUS_PORT, REDIS_PORT, redisNames } from './names.js';
import { redisContainerSecurityContext } from './security.js';

/**
 * Kubernetes expands $(VAR) in args from the container env, so the password never enters the spec.
 * Persistence (docs/dataplane.md "Persistence"): with storage, AOF with fsync every second (a crash
 * loses at most about the last second of writes) and no RDB snapshots; without storage, nothing is
 * written to disk.
 */
export function redisArgs(spec: RedisSpec): string[] {
  const args = ['--port', String(REDIS_PORT), '--dir', '/data'];
  args.push('--requirepass', '$(REDIS_PASSWORD)', '--masterauth', '$(REDIS_PASSWORD)');
  if (spec.storage) args.push('--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '');
  else args.push('--appendonly', 'no', '--save', '');
  const ephemeralStandalone = spec.topology !== 'cluster' && !spec.storage;
  args.push(
    ...memoryArgs(spec.resources, ephemeralStandalone ? EPHEMERAL_STANDALONE_EVICTION_SAMPLES : undefined),
  );
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
export function forgetsIdentityOnStart(spec: RedisSpec): boolean {
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

function redisCommand(spec: RedisSpec): string[] {
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

export function readinessScript(spec: RedisSpec): string {
  return spec.topology === 'cluster' ? CLUSTER_READINESS : STANDALONE_READINESS;
}

function passwordEnv(envName: string, name: string): IEnvVar {
  return {
    name: envName,
    valueFrom: { secretKeyRef: { name: redisNames.passwordSecret(name), key: PASSWORD_KEY } },
  };
}

export function redisContainer(name: string, spec: RedisSpec): IContainer {
  const ports = [{ name: 'redis', containerPort: REDIS_PORT }];
  if (spec.topology === 'cluster') ports.push({ name: 'bus', containerPort: REDIS_BUS_PORT });
  return {
    name: 'redis',
    image: spec.image,
    command: redisCommand(spec),
    args: redisArgs(spec),
    // REDISCLI_AUTH lets the exec probe authenticate without the password on a command line.
    env: [passwordEnv('REDIS_PASSWORD', name), passwordEnv('REDISCLI_AUTH', name)],
    ports,
    resources: containerResources(spec.resources),
    securityContext: redisContainerSecurityContext(),
    volumeMounts: [{ name: 'data', mountPath: '/data' }],
    readinessProbe: {
      exec: { command: ['sh', '-c', readinessScript(spec)] },
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

/** spec.sessions.redis.resources as container resources (an unset CPU limit left out). */
function containerResources(r: RedisResources): IResourceRequirements {
  const defined = (q: object): Record<string, string | number> =>
    Object.fromEntries(
      (Object.entries(q) as [string, string | number | undefined][]).filter(
        (e): e is [string, string | number] => e[1] !== undefined,
      ),
    );
  return { requests: defined(r.requests), limits: defined(r.limits) };
}
