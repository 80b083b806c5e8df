import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchArgs } from './args.js';

/** The operator under test: compiled (as the image builds it) and run as a child process. */
export const root = fileURLToPath(new URL('../..', import.meta.url));

export interface OperatorProc {
  pid: number;
  port: number;
  stop(): Promise<void>;
}

/** Where the bench's own build of the operator lands (operator/bench/tsconfig.build.json). */
const MAIN = `${root}dist/bench-operator/operator/main.js`;

/**
 * Compiles the operator (as the image's build stage does, only what operator/main.ts reaches) so the
 * bench runs what production runs.
 */
export async function build(): Promise<void> {
  const proc = spawn(
    `${root}node_modules/.bin/node`,
    [`${root}node_modules/typescript/bin/tsc`, '-p', 'operator/bench/tsconfig.build.json'],
    {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const code = await new Promise<number | null>((r) => proc.once('exit', r));
  if (code !== 0) throw new Error(`building the operator failed (exit ${code})`);
}

/**
 * The node flags of the operator image's ENTRYPOINT (operator/Dockerfile, the one place they are set),
 * or BENCH_NODE_FLAGS (space-separated; empty for V8's defaults) to compare against them.
 */
export function operatorNodeFlags(dockerfile: string, override?: string): string[] {
  if (override !== undefined) return override.split(/\s+/).filter(Boolean);
  const line = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
  if (!line) throw new Error('operator/Dockerfile has no exec-form ENTRYPOINT');
  const argv = JSON.parse(line) as string[];
  return argv.slice(1, argv.indexOf('dist/operator/main.js'));
}

export async function startOperator(ns: string, a: BenchArgs): Promise<OperatorProc> {
  const port = 19_900 + Math.floor(Math.random() * 90);
  const proc = spawn(
    `${root}node_modules/.bin/node`,
    [
      ...a.nodeFlags,
      // BENCH_CPU_PROF=<dir>: a V8 CPU profile of the operator run, written when it exits.
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
      MAIN,
      `--watch-namespace=${ns}`,
      '--leader-elect=false',
      `--health-port=${port}`,
      '--health-host=127.0.0.1',
      `--concurrency=${a.concurrency}`,
      '--log-level=warn',
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  for (let i = 0; i < 240; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    pid: proc.pid ?? 0,
    port,
    stop: async () => {
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** Peak resident set (VmHWM) and current RSS of a process, in MiB, from /proc. */
export function memory(pid: number): { peak: number; rss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { peak: kb('VmHWM') / 1024, rss: kb('VmRSS') / 1024 };
}
