// The operator run in this process for integration tests: scoped to one namespace (its Lease there too),
// its own prom-client Registry, and the metrics the tests read from it.
import { afterAll, beforeAll } from '@jest/globals';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { parseConfig } from '../config.js';
import type { OperatorConfig } from '../config.js';
import { startOperator } from '../controller/manager.js';
import type { OperatorDeps, RunningOperator } from '../controller/manager.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { createNamespace, deleteNamespace, installCrd, requireKubeconfig } from './support.js';

export function operatorConfig(namespace: string, overrides: Record<string, string> = {}): OperatorConfig {
  const flags = Object.entries({
    'watch-namespace': namespace,
    'lease-namespace': namespace,
    'health-port': '0',
    'health-host': '127.0.0.1',
    'resync-seconds': '600',
    ...overrides,
  }).map(([k, v]) => `--${k}=${v}`);
  return parseConfig(flags, {});
}

export interface InProcessOperator {
  op: RunningOperator;
  registry: Registry;
  stop(): Promise<void>;
}

/** Runs the operator in this process, scoped to one namespace (its own Lease there too). */
export async function startInProcess(
  namespace: string,
  overrides: Record<string, string> = {},
  components: OperatorDeps['components'] = [],
): Promise<InProcessOperator> {
  requireKubeconfig();
  const { kc } = loadKubeConfig(process.env);
  const registry = new Registry();
  const log = pino({ level: process.env.TEST_OPERATOR_LOG ?? 'silent' });
  const op = await startOperator({
    config: operatorConfig(namespace, overrides),
    kc,
    log,
    registry,
    components,
  });
  return { op, registry, stop: () => op.stop() };
}

export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const { values } = await m.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
    .reduce((sum, v) => sum + v.value, 0);
}

/** Writes that reconciling issued (everything but Lease renewals and Events). */
export async function reconcileWrites(registry: Registry): Promise<number> {
  const m = registry.getSingleMetric('chatfleet_operator_kube_writes_total');
  if (!m) return 0;
  const { values } = await m.get();
  return values
    .filter((v) => v.labels.kind !== 'Lease' && v.labels.kind !== 'Event')
    .reduce((s, v) => s + v.value, 0);
}

export interface OperatorNamespace {
  /** The test's own namespace (a unique name from the prefix), watched by the operator. */
  readonly ns: string;
  readonly operator: InProcessOperator;
}

/**
 * The setup most operator integration tests share: beforeAll installs the CRD, creates a namespace named
 * from `prefix` and starts the operator in-process on it; afterAll stops the operator and deletes the
 * namespace. Read `ns` and `operator` inside tests (they are set once beforeAll ran).
 */
export function withOperatorNamespace(
  prefix: string,
  options: {
    labels?: Record<string, string>;
    flags?: Record<string, string>;
    components?: (ns: string) => OperatorDeps['components'];
  } = {},
): OperatorNamespace {
  let ns: string | undefined;
  let operator: InProcessOperator | undefined;
  beforeAll(async () => {
    await installCrd();
    ns = await createNamespace(prefix, options.labels);
    operator = await startInProcess(ns, options.flags, options.components?.(ns));
  });
  afterAll(async () => {
    await operator?.stop();
    if (ns) await deleteNamespace(ns);
  });
  const started = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`${what} is not set up: read it inside a test, after beforeAll`);
    return v;
  };
  return {
    get ns() {
      return started(ns, 'the namespace');
    },
    get operator() {
      return started(operator, 'the operator');
    },
  };
}
