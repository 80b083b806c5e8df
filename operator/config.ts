import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';

/**
 * Operator configuration, parsed and validated once at startup from flags and environment
 * (a flag wins over its environment variable). Nothing else reads process.env.
 */
export interface OperatorConfig {
  /** Namespaces to watch, comma-separated as given; empty = all namespaces. See watchedNamespaces(). */
  watchNamespace: string;
  concurrency: number;
  queueQps: number;
  queueBurst: number;
  resyncSeconds: number;
  healthHost: string;
  healthPort: number;
  leaderElect: boolean;
  leaseNamespace: string;
  leaseName: string;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
  identity: string;
  logLevel: string;
  shutdownTimeoutSeconds: number;
  /** Operator-wide Prometheus for fleets with spec.scaling.metrics.source prometheus and no url. */
  prometheusUrl: string;
  /** /healthz fails while a reconcile has been running longer than this. */
  livenessReconcileSeconds: number;
  /** /healthz fails after the event loop was blocked longer than this. */
  livenessLoopLagSeconds: number;
  /** Where Kafka topic claims (ownership records) live; empty = the Lease namespace (the operator's own). */
  topicOwnershipNamespace: string;
  /** How long deleting a CR retries deleting its topics before it releases the finalizer anyway. */
  topicDeletionTimeoutSeconds: number;
}

interface Option {
  key: keyof OperatorConfig;
  flag: string;
  env: string;
  kind: 'string' | 'int' | 'number' | 'bool';
  def: (env: NodeJS.ProcessEnv) => string;
  help: string;
  min?: number;
}

export const OPTIONS: Option[] = [
  {
    key: 'watchNamespace',
    flag: 'watch-namespace',
    env: 'WATCH_NAMESPACE',
    kind: 'string',
    def: () => '',
    help: 'Namespaces to watch, comma-separated (team-a,team-b); empty watches all namespaces.',
  },
  {
    key: 'concurrency',
    flag: 'concurrency',
    env: 'CHATFLEET_CONCURRENCY',
    kind: 'int',
    def: () => '4',
    min: 1,
    help: 'Reconciles running in parallel (different fleets).',
  },
  {
    key: 'queueQps',
    flag: 'queue-qps',
    env: 'CHATFLEET_QUEUE_QPS',
    kind: 'number',
    def: () => '10',
    min: 0.001,
    help: 'Global rate of retries after failures (token bucket refill per second).',
  },
  {
    key: 'queueBurst',
    flag: 'queue-burst',
    env: 'CHATFLEET_QUEUE_BURST',
    kind: 'int',
    def: () => '100',
    min: 1,
    help: 'Global burst of retries (token bucket size).',
  },
  {
    key: 'resyncSeconds',
    flag: 'resync-seconds',
    env: 'CHATFLEET_RESYNC_SECONDS',
    kind: 'int',
    def: () => '600',
    min: 1,
    help: 'Reconcile every fleet at least this often, even without events.',
  },
  {
    key: 'healthHost',
    flag: 'health-host',
    env: 'CHATFLEET_HEALTH_HOST',
    kind: 'string',
    def: () => '0.0.0.0',
    help: 'Address of the /healthz, /readyz and /metrics server.',
  },
  {
    key: 'healthPort',
    flag: 'health-port',
    env: 'CHATFLEET_HEALTH_PORT',
    kind: 'int',
    def: () => '8081',
    min: 0,
    help: 'Port of that server (0 = pick a free port).',
  },
  {
    key: 'leaderElect',
    flag: 'leader-elect',
    env: 'CHATFLEET_LEADER_ELECT',
    kind: 'bool',
    def: () => 'true',
    help: 'Elect a leader on a Lease; only the leader reconciles.',
  },
  {
    key: 'leaseNamespace',
    flag: 'lease-namespace',
    env: 'CHATFLEET_LEASE_NAMESPACE',
    kind: 'string',
    def: (e) => e.POD_NAMESPACE ?? 'default',
    help: 'Namespace of the Lease (default: POD_NAMESPACE, else default).',
  },
  {
    key: 'leaseName',
    flag: 'lease-name',
    env: 'CHATFLEET_LEASE_NAME',
    kind: 'string',
    def: () => 'chatfleet-operator',
    help: 'Name of the Lease.',
  },
  {
    key: 'leaseDurationSeconds',
    flag: 'lease-duration-seconds',
    env: 'CHATFLEET_LEASE_DURATION_SECONDS',
    kind: 'int',
    def: () => '15',
    min: 1,
    help: 'How long a standby waits after the last renewal before taking over.',
  },
  {
    key: 'renewDeadlineSeconds',
    flag: 'renew-deadline-seconds',
    env: 'CHATFLEET_RENEW_DEADLINE_SECONDS',
    kind: 'int',
    def: () => '10',
    min: 1,
    help: 'The leader steps down if it could not renew for this long.',
  },
  {
    key: 'retryPeriodSeconds',
    flag: 'retry-period-seconds',
    env: 'CHATFLEET_RETRY_PERIOD_SECONDS',
    kind: 'number',
    def: () => '2',
    min: 0.1,
    help: 'Interval of lease renewals and acquisition attempts.',
  },
  {
    key: 'identity',
    flag: 'identity',
    env: 'POD_NAME',
    kind: 'string',
    def: () => `${hostname()}-${randomBytes(3).toString('hex')}`,
    help: 'Identity in the Lease (default: POD_NAME, else host name plus a random suffix).',
  },
  {
    key: 'logLevel',
    flag: 'log-level',
    env: 'LOG_LEVEL',
    kind: 'string',
    def: () => 'info',
    help: 'pino level: trace, debug, info, warn, error.',
  },
  {
    key: 'shutdownTimeoutSeconds',
    flag: 'shutdown-timeout-seconds',
    env: 'CHATFLEET_SHUTDOWN_TIMEOUT_SECONDS',
    kind: 'int',
    def: () => '20',
    min: 1,
    help: 'Longest graceful shutdown before the process exits anyway.',
  },
  {
    key: 'prometheusUrl',
    flag: 'prometheus-url',
    env: 'CHATFLEET_PROMETHEUS_URL',
    kind: 'string',
    def: () => '',
    help: 'Prometheus for fleets with spec.scaling.metrics.source prometheus and no url of their own.',
  },
  {
    key: 'livenessReconcileSeconds',
    flag: 'liveness-reconcile-seconds',
    env: 'CHATFLEET_LIVENESS_RECONCILE_SECONDS',
    kind: 'int',
    def: () => '300',
    min: 1,
    help: '/healthz fails while one reconcile has been running longer than this (a wedged worker).',
  },
  {
    key: 'livenessLoopLagSeconds',
    flag: 'liveness-loop-lag-seconds',
    env: 'CHATFLEET_LIVENESS_LOOP_LAG_SECONDS',
    kind: 'number',
    def: () => '10',
    min: 0.1,
    help: '/healthz fails for 30 s after the event loop was blocked longer than this.',
  },
  {
    key: 'topicOwnershipNamespace',
    flag: 'topic-ownership-namespace',
    env: 'CHATFLEET_TOPIC_OWNERSHIP_NAMESPACE',
    kind: 'string',
    def: () => '',
    help: 'Namespace of the Kafka topic claims (which CR owns which topic); empty = the Lease namespace.',
  },
  {
    key: 'topicDeletionTimeoutSeconds',
    flag: 'topic-deletion-timeout-seconds',
    env: 'CHATFLEET_TOPIC_DELETION_TIMEOUT_SECONDS',
    kind: 'int',
    def: () => '300',
    min: 0,
    help: 'Deleting a CR retries deleting its topics this long, then releases the finalizer with a Warning.',
  },
];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function flagValues(argv: string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument "${arg}" (see --help)`);
    const eq = arg.indexOf('=');
    if (eq > 0) values.set(arg.slice(2, eq), arg.slice(eq + 1));
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--'))
      values.set(arg.slice(2), argv[++i]!);
    else values.set(arg.slice(2), 'true');
  }
  return values;
}

function parseValue(o: Option, raw: string): string | number | boolean {
  if (o.kind === 'string') return raw;
  if (o.kind === 'bool') {
    if (['true', '1', 'yes'].includes(raw)) return true;
    if (['false', '0', 'no'].includes(raw)) return false;
    throw new ConfigError(`--${o.flag} / ${o.env}: expected true or false, got "${raw}"`);
  }
  const n = Number(raw);
  if (!Number.isFinite(n) || (o.kind === 'int' && !Number.isInteger(n))) {
    throw new ConfigError(
      `--${o.flag} / ${o.env}: expected ${o.kind === 'int' ? 'an integer' : 'a number'}, got "${raw}"`,
    );
  }
  if (o.min !== undefined && n < o.min)
    throw new ConfigError(`--${o.flag} / ${o.env}: must be >= ${o.min}, got ${n}`);
  return n;
}

export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): OperatorConfig {
  const flags = flagValues(argv);
  const known = new Set(OPTIONS.map((o) => o.flag));
  for (const f of flags.keys()) if (!known.has(f)) throw new ConfigError(`unknown flag --${f} (see --help)`);
  const out: Record<string, unknown> = {};
  for (const o of OPTIONS) out[o.key] = parseValue(o, flags.get(o.flag) ?? env[o.env] ?? o.def(env));
  const cfg = out as unknown as OperatorConfig;
  // Tenants must not be able to write topic claims: by default they sit next to the Lease.
  if (!cfg.topicOwnershipNamespace) cfg.topicOwnershipNamespace = cfg.leaseNamespace;
  if (cfg.renewDeadlineSeconds >= cfg.leaseDurationSeconds) {
    throw new ConfigError(
      'renew deadline must be shorter than the lease duration, or two leaders could overlap',
    );
  }
  if (cfg.retryPeriodSeconds >= cfg.renewDeadlineSeconds) {
    throw new ConfigError('retry period must be shorter than the renew deadline');
  }
  splitNamespaces(cfg.watchNamespace);
  return cfg;
}

const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The namespaces of --watch-namespace (comma-separated; blanks around commas ignored, duplicates
 * dropped); [] means all namespaces. Throws ConfigError naming a part that is no namespace name.
 */
export function splitNamespaces(value: string): string[] {
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length === 1 && parts[0] === '') return [];
  for (const p of parts) {
    if (p.length > 63 || !NAMESPACE_NAME.test(p)) {
      throw new ConfigError(
        `--watch-namespace / WATCH_NAMESPACE: ${JSON.stringify(p)} is not a namespace name`,
      );
    }
  }
  return [...new Set(parts)];
}

/** The namespaces the operator watches; [] = all. */
export function watchedNamespaces(cfg: Pick<OperatorConfig, 'watchNamespace'>): string[] {
  return splitNamespaces(cfg.watchNamespace);
}

export function usage(): string {
  const lines = OPTIONS.map((o) => `  --${o.flag.padEnd(26)} ${o.env.padEnd(34)} ${o.help}`);
  return [
    'Usage: npm start -- [flags]   (each flag can also be set by its environment variable)',
    '',
    ...lines,
  ].join('\n');
}
