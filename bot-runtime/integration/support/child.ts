import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { REPO_ROOT } from './env.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface Child {
  proc: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * The runtime's command line: node itself with tsx's loader, not the tsx wrapper. Signals then reach
 * the runtime as they do in the image (node dist/...): the wrapper relays SIGTERM and, under load, gave
 * up waiting on its child and exited 143 itself; a SIGKILLed wrapper left its child running.
 */
export function runtimeCommand(args: string[]): [string, string[]] {
  return [
    `${REPO_ROOT}node_modules/.bin/node`,
    ['--import', 'tsx', `${REPO_ROOT}bot-runtime/main.ts`, ...args],
  ];
}

/** Runs `npm run bot` as a real child process (bot-runtime/main.ts) and waits for /readyz. */
export async function spawnBot(env: Record<string, string>, args: string[] = []): Promise<Child> {
  const port = await freePort();
  const [command, argv] = runtimeCommand(args);
  const proc = spawn(command, argv, {
    cwd: REPO_ROOT,
    // Only what the test names: .testenv/env also exports REDIS_CLUSTER_NODES, which would win.
    env: {
      ...process.env,
      REDIS_URL: '',
      REDIS_CLUSTER_NODES: '',
      KAFKA_BROKERS: '',
      RATE_LIMIT_PER_MINUTE: '0', // unless the test sets it: all of a test's load has one address
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    if (proc.exitCode !== null) throw new Error(`bot exited during start:\n${out}`);
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return { proc, url, output: () => out, exited };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  proc.kill('SIGKILL');
  throw new Error(`bot did not become ready:\n${out}`);
}
