import { isDnsLabel } from '../shared/model.js';

/**
 * Flags of `kubectl chatfleet dashboard` and `npm run dashboard -- ...` (pure; errors are
 * DashboardUsageError with a message naming the flag).
 */
export interface DashboardArgs {
  port: number;
  namespace?: string;
  prometheusUrl?: string;
  context?: string;
  allowActions: boolean;
  help: boolean;
}

export class DashboardUsageError extends Error {}

export const DASHBOARD_USAGE = `Usage: kubectl chatfleet dashboard [flags]   (also: npm run dashboard -- [flags])

Serves the fleet console on http://127.0.0.1:<port>/ with your kubeconfig: it shows exactly the
ChatbotDeployments and Events your RBAC lets you list and watch. Read-only unless --allow-actions.

Flags:
      --port <n>             port on 127.0.0.1 (default 3100; 0 = any free port)
  -n, --namespace <ns>       only this namespace (default: all namespaces you may list)
      --prometheus-url <url> charts from Prometheus (default: $PROMETHEUS_URL; without it, from the
                             fleets' status sampled while the console runs)
      --context <name>       kubeconfig context
      --allow-actions        rollout buttons (pause, resume, promote, promote-full, abort, retry) on
                             the fleet page, each behind a confirmation; they patch the annotation
                             the plugin sets, as you (you need patch on chatbotdeployments)
  -h, --help                 this text`;

function value(argv: string[], i: number, flag: string, inline: string | undefined): string {
  const v = inline ?? argv[i + 1];
  if (v === undefined || (inline === undefined && v.startsWith('-')))
    throw new DashboardUsageError(`${flag} needs a value`);
  return v;
}

function portOf(raw: string): number {
  const n = Number(raw);
  if (!/^\d{1,5}$/.test(raw) || n > 65535)
    throw new DashboardUsageError(`--port must be 0..65535, not ${raw}`);
  return n;
}

function urlOf(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new DashboardUsageError(`--prometheus-url is not a URL: ${raw}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new DashboardUsageError(`--prometheus-url must be http(s): ${raw}`);
  return raw;
}

type Setter = (a: DashboardArgs, v: string) => void;
const VALUED: Record<string, Setter> = {
  '--port': (a, v) => (a.port = portOf(v)),
  '-n': (a, v) => (a.namespace = v),
  '--namespace': (a, v) => (a.namespace = v),
  '--prometheus-url': (a, v) => (a.prometheusUrl = urlOf(v)),
  '--context': (a, v) => (a.context = v),
};

export function parseDashboardArgs(
  argv: string[],
  env: Record<string, string | undefined> = {},
): DashboardArgs {
  const a: DashboardArgs = { port: 3100, allowActions: false, help: false };
  parseInto(a, argv);
  const ns: unknown = a.namespace;
  if (ns !== undefined && !isDnsLabel(ns))
    throw new DashboardUsageError(`--namespace is not a namespace name: ${JSON.stringify(ns)}`);
  if (a.prometheusUrl === undefined && env.PROMETHEUS_URL) a.prometheusUrl = urlOf(env.PROMETHEUS_URL);
  return a;
}

function parseInto(a: DashboardArgs, argv: string[]): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const [flag, inline] = eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    const set = VALUED[flag];
    if (set) {
      set(a, value(argv, i, flag, inline));
      if (inline === undefined) i++;
    } else if ((flag === '-h' || flag === '--help') && inline === undefined) a.help = true;
    else if (flag === '--allow-actions' && inline === undefined) a.allowActions = true;
    else
      throw new DashboardUsageError(
        arg.startsWith('-') ? `unknown flag ${arg}` : `unexpected argument ${arg}`,
      );
  }
}
