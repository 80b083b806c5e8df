import type { ActionVerb } from '../rollout/core/types.js';

/**
 * Command line of `kubectl chatfleet` (pure; parse errors are UsageError with the usage text).
 *   kubectl chatfleet rollout status <fleet> [--watch]
 *   kubectl chatfleet rollout pause|resume|abort|retry <fleet>
 *   kubectl chatfleet rollout promote <fleet> [--full]
 *   kubectl chatfleet get <fleet>
 *   kubectl chatfleet dashboard [flags]   (parsed by console/server/args.ts, run from main.ts)
 * Every command takes -n/--namespace <ns> (default: the kubeconfig context's namespace, else default)
 * and --context <name>.
 */
export type Command =
  | { kind: 'status'; fleet: string; watch: boolean }
  | { kind: 'action'; fleet: string; verb: ActionVerb }
  | { kind: 'get'; fleet: string }
  | { kind: 'help' };

export interface Invocation {
  command: Command;
  namespace?: string;
  context?: string;
}

export const USAGE = `Usage: kubectl chatfleet <command> [flags]

Commands:
  rollout status <fleet> [--watch]   phase, step, weight and the last analysis (--watch: until it settles)
  rollout pause <fleet>              hold the current step (analysis keeps running)
  rollout resume <fleet>             continue after a pause or a manual pause step
  rollout promote <fleet> [--full]   skip to the next step (--full: promote the canary now)
  rollout abort <fleet>              send new conversations to stable, move pinned ones back, scale the canary to 0
  rollout retry <fleet>              start an aborted rollout again from the first step
  get <fleet>                        tree of the fleet, its tracks, pods and versions
  dashboard [--port N] [-n NS] [--prometheus-url URL] [--allow-actions]
                                     web console on http://127.0.0.1:3100/, read-only unless --allow-actions
                                     (dashboard --help)

Flags:
  -n, --namespace <ns>   namespace of the ChatbotDeployment (default: from the kubeconfig context)
      --context <name>   kubeconfig context
  -h, --help             this text

Actions set the annotation chatfleet.io/rollout-action=<verb>@<nonce> with a fresh nonce; the operator
records the handled value in status.rollout.lastHandledAction.`;

export class UsageError extends Error {}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SIMPLE_VERBS: readonly ActionVerb[] = ['pause', 'resume', 'abort', 'retry'];

interface Flags {
  positional: string[];
  namespace?: string;
  context?: string;
  watch: boolean;
  full: boolean;
  help: boolean;
}

function valueOf(argv: string[], i: number, flag: string): string {
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('-')) throw new UsageError(`${flag} needs a value`);
  return v;
}

const VALUE_FLAGS: Record<string, 'namespace' | 'context'> = {
  '-n': 'namespace',
  '--namespace': 'namespace',
  '--context': 'context',
};
const BOOLEAN_FLAGS: Record<string, 'watch' | 'full' | 'help'> = {
  '-w': 'watch',
  '--watch': 'watch',
  '--full': 'full',
  '-h': 'help',
  '--help': 'help',
};

function parseFlags(argv: string[]): Flags {
  const f: Flags = { positional: [], watch: false, full: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const eq = a.indexOf('=');
    const [flag, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const valued = VALUE_FLAGS[flag];
    const bool = BOOLEAN_FLAGS[flag];
    if (valued) f[valued] = inline ?? valueOf(argv, i++, flag);
    else if (bool && inline === undefined) f[bool] = true;
    else if (a.startsWith('-')) throw new UsageError(`unknown flag ${a}`);
    else f.positional.push(a);
  }
  return f;
}

function fleetName(value: string | undefined): string {
  if (value === undefined) throw new UsageError('name the fleet (the ChatbotDeployment)');
  if (value.length > 63 || !NAME.test(value)) throw new UsageError(`not a ChatbotDeployment name: ${value}`);
  return value;
}

function rolloutCommand(sub: string | undefined, fleet: string | undefined, f: Flags): Command {
  if (sub === 'status') return { kind: 'status', fleet: fleetName(fleet), watch: f.watch };
  if (sub === 'promote')
    return { kind: 'action', fleet: fleetName(fleet), verb: f.full ? 'promote-full' : 'promote' };
  const verb = SIMPLE_VERBS.find((v) => v === sub);
  if (verb) return { kind: 'action', fleet: fleetName(fleet), verb };
  throw new UsageError(`unknown rollout command ${sub ?? '(none)'}`);
}

function commandOf(f: Flags): Command {
  const [cmd, a, b, ...rest] = f.positional;
  if (f.help || cmd === undefined || cmd === 'help') return { kind: 'help' };
  let command: Command;
  if (cmd === 'rollout') command = rolloutCommand(a, b, f);
  else if (cmd === 'get') command = { kind: 'get', fleet: fleetName(a) };
  else throw new UsageError(`unknown command ${cmd}`);
  const extra = (cmd === 'get' ? [b, ...rest] : rest).filter((x) => x !== undefined);
  if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0] ?? ''}`);
  return command;
}

export function parseArgs(argv: string[]): Invocation {
  const f = parseFlags(argv);
  const command = commandOf(f);
  if (f.full && !(command.kind === 'action' && command.verb === 'promote-full')) {
    throw new UsageError('--full goes with rollout promote');
  }
  if (f.watch && command.kind !== 'status') throw new UsageError('--watch goes with rollout status');
  return {
    command,
    ...(f.namespace !== undefined ? { namespace: f.namespace } : {}),
    ...(f.context !== undefined ? { context: f.context } : {}),
  };
}
