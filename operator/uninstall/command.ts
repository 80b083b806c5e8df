/**
 * `node dist/operator/main.js release-finalizers [flags]`: the CLI around ./release-finalizers.ts,
 * run by the chart's pre-delete hook Job. Exit code 0 when no ChatbotDeployment carries an operator
 * finalizer any more, 1 otherwise (Helm then reports the hook as failed and keeps the release).
 */
import { pino } from 'pino';
import { ConfigError } from '../config.js';
import { KubeClient } from '../kube/client.js';
import { KubeEventRecorder } from '../kube/events.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { RELEASE_FINALIZERS, releaseFinalizers } from './release-finalizers.js';

export interface ReleaseArgs {
  /** The operator's namespace (default POD_NAMESPACE). */
  operatorNamespace: string;
  /** The operator Deployment to scale to 0 first; empty: do not stop anything. */
  operatorDeployment: string;
  /** The operator's --watch-namespace: only fleets there are released; empty = all namespaces. */
  watchNamespace: string;
  timeoutSeconds: number;
  logLevel: string;
}

const FLAGS = [
  'operator-namespace',
  'operator-deployment',
  'watch-namespace',
  'timeout-seconds',
  'log-level',
] as const;
const MAX_TIMEOUT_SECONDS = 3600;

export function releaseUsage(): string {
  return [
    `Usage: main.js ${RELEASE_FINALIZERS} [--operator-namespace=NS] [--operator-deployment=NAME] [--watch-namespace=NS] [--timeout-seconds=120]`,
    '',
    'Scales the operator Deployment to 0, waits for its pods to stop, then removes the operator',
    'finalizers from every ChatbotDeployment (Warning Event OperatorUninstalled on each). Fleets stay.',
  ].join('\n');
}

function flagValues(argv: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const arg of argv) {
    const m = /^--([a-z-]+)=(.*)$/.exec(arg);
    const flag = m?.[1] ?? '';
    if (!FLAGS.includes(flag as (typeof FLAGS)[number])) {
      throw new ConfigError(
        `${RELEASE_FINALIZERS}: unknown argument ${JSON.stringify(arg)}\n${releaseUsage()}`,
      );
    }
    values.set(flag, m?.[2] ?? '');
  }
  return values;
}

function timeoutSeconds(raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_TIMEOUT_SECONDS) {
    throw new ConfigError(
      `--timeout-seconds must be an integer from 1 to ${MAX_TIMEOUT_SECONDS}, got ${raw}`,
    );
  }
  return n;
}

/** PURE: flags as --name=value; unknown flags and bad values are ConfigErrors naming the flag. */
export function parseReleaseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ReleaseArgs {
  const values = flagValues(argv);
  const operatorNamespace = values.get('operator-namespace') ?? env.POD_NAMESPACE ?? '';
  const operatorDeployment = values.get('operator-deployment') ?? '';
  if (operatorDeployment && !operatorNamespace) {
    throw new ConfigError('--operator-deployment needs --operator-namespace (or POD_NAMESPACE)');
  }
  return {
    operatorNamespace,
    operatorDeployment,
    watchNamespace: values.get('watch-namespace') ?? '',
    timeoutSeconds: timeoutSeconds(values.get('timeout-seconds') ?? '120'),
    logLevel: values.get('log-level') ?? 'info',
  };
}

export async function runReleaseFinalizers(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const args = parseReleaseArgs(argv, env);
  const log = pino({
    level: args.logLevel,
    base: { app: 'chatfleet-operator', command: RELEASE_FINALIZERS },
  });
  const { kc } = loadKubeConfig(env);
  const client = await KubeClient.create(kc);
  const events = new KubeEventRecorder(client, 'chatfleet.io/operator', RELEASE_FINALIZERS, log);
  try {
    const report = await releaseFinalizers(client, {
      ...(args.operatorDeployment
        ? { operator: { namespace: args.operatorNamespace, name: args.operatorDeployment } }
        : {}),
      namespace: args.watchNamespace,
      timeoutMs: args.timeoutSeconds * 1000,
      events,
      log,
    });
    await events.flush();
    if (report.remaining.length > 0) {
      log.error({ remaining: report.remaining }, 'ChatbotDeployments still carry operator finalizers');
      return 1;
    }
    log.info(
      { released: report.released.length },
      'operator finalizers released; fleets are left as they are',
    );
    return 0;
  } finally {
    client.close();
  }
}
