import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startConsole } from './app.js';
import { DASHBOARD_USAGE, DashboardUsageError, parseDashboardArgs } from './args.js';

export interface DashboardIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const stdio: DashboardIo = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
};

/**
 * `kubectl chatfleet dashboard` / `npm run dashboard`: starts the console, prints its URL and runs
 * until SIGINT/SIGTERM. Returns the exit code (2 = usage) once stopped.
 */
export async function runDashboard(argv: string[], io: DashboardIo = stdio): Promise<number> {
  let args;
  try {
    args = parseDashboardArgs(argv, process.env);
  } catch (err) {
    if (!(err instanceof DashboardUsageError)) throw err;
    io.err(`dashboard: ${err.message}\n\n${DASHBOARD_USAGE}`);
    return 2;
  }
  if (args.help) {
    io.out(DASHBOARD_USAGE);
    return 0;
  }
  const running = await startConsole({
    port: args.port,
    ...(args.namespace ? { namespace: args.namespace } : {}),
    ...(args.prometheusUrl ? { prometheusUrl: args.prometheusUrl } : {}),
    ...(args.context ? { context: args.context } : {}),
    allowActions: args.allowActions,
    log: (line) => io.err(`dashboard: ${line}`),
  });
  const mode = args.allowActions ? 'rollout actions enabled' : 'read-only';
  io.out(`Chatfleet console (${mode}): ${running.url}  (Ctrl-C to stop)`);
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await running.close();
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  runDashboard(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`dashboard: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
