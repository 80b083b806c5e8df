import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { OperatorConfig } from './config.js';

/**
 * Every operator setting: its flag, environment variable, type, default and help line. parseConfig
 * (./config.ts) reads them in this order; `--help` prints this table; the chart's values map onto
 * these names (operator/api/chart.test.ts).
 */
export interface Option {
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
