import { OPTIONS } from './config-options.js';
import type { Option } from './config-options.js';

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

export { OPTIONS };

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
