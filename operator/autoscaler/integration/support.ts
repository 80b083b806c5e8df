import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gauge, Histogram, Registry } from 'prom-client';
import { TURN_BUCKETS } from '../../../bot-runtime/metrics/buckets.js';

export const REPO_ROOT = new URL('../../../', import.meta.url).pathname;
export const CONTRACT_BUCKETS = TURN_BUCKETS;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function listen(server: Server, port = 0): Promise<string> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/**
 * A small real HTTP server shaped like a bot pod: GET /turn?ms=N holds a turn for N ms (counted in
 * chatfleet_turns_inflight) and observes its measured duration in chatfleet_turn_duration_seconds;
 * GET /metrics serves the prom-client registry. A "restart" is a new FakePod on the same port.
 */
export class FakePod {
  readonly registry = new Registry();
  readonly server: Server;
  url = '';
  entered = 0;
  /** Every duration observed into the histogram, in ms: what a scrape of this pod must reproduce. */
  readonly observedMs: number[] = [];
  private readonly turns = new Histogram({
    name: 'chatfleet_turn_duration_seconds',
    help: 'turn duration',
    labelNames: ['model_version', 'source', 'outcome'],
    buckets: [...CONTRACT_BUCKETS],
    registers: [this.registry],
  });
  private readonly inflight = new Gauge({
    name: 'chatfleet_turns_inflight',
    help: 'in flight',
    registers: [this.registry],
  });

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async start(port = 0): Promise<this> {
    this.url = await listen(this.server, port);
    return this;
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/metrics') {
      res.setHeader('content-type', this.registry.contentType);
      res.end(await this.registry.metrics());
      return;
    }
    const ms = Number(url.searchParams.get('ms') ?? '0');
    const end = this.turns.startTimer({ model_version: 'v1', source: 'llm', outcome: 'ok' });
    this.inflight.inc();
    this.entered++;
    await sleep(ms);
    this.inflight.dec();
    this.observedMs.push(end() * 1000);
    res.end('ok');
  }
}

/** Nearest-rank percentile of measured values. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? NaN;
}

/** Width (ms) of the contract bucket that contains `ms`. */
export function bucketWidthMs(ms: number): number {
  const bounds = [0, ...CONTRACT_BUCKETS.map((b) => b * 1000)];
  const i = bounds.findIndex((b) => ms <= b);
  return i <= 0 ? 10_000 : (bounds[i] ?? 0) - (bounds[i - 1] ?? 0);
}

/** Runs `tasks` with at most `concurrency` at a time. */
export async function pool<T>(tasks: (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await (tasks[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}

/** Times one HTTP call client-side, in ms. */
export async function timed(url: string, init?: RequestInit): Promise<{ ms: number; status: number }> {
  const start = performance.now();
  const res = await fetch(url, init);
  await res.arrayBuffer();
  return { ms: performance.now() - start, status: res.status };
}

/** Seeded uniform integers, so the load is reproducible. */
export function seededInts(seed: number, n: number, lo: number, hi: number): number[] {
  let a = seed >>> 0;
  return Array.from({ length: n }, () => {
    a = (a * 1664525 + 1013904223) >>> 0;
    return lo + (a % (hi - lo + 1));
  });
}

export interface SpawnedBot {
  proc: ChildProcess;
  url: string;
  output: () => string;
  stop: () => Promise<void>;
}

/**
 * Starts the real bot runtime (bot-runtime/main.ts through tsx's loader, on the repo's Node 24) on a free
 * port and waits for /readyz. One process, so stopping it leaves no orphan behind.
 */
export async function spawnBot(env: Record<string, string>): Promise<SpawnedBot> {
  const probe = createServer();
  const port = Number(new URL(await listen(probe)).port);
  await close(probe);
  const proc = spawn(
    `${REPO_ROOT}node_modules/.bin/node`,
    ['--import', 'tsx', `${REPO_ROOT}bot-runtime/main.ts`],
    {
      cwd: REPO_ROOT,
      // the per-client rate limit is off unless a test sets it: all of a test's load has one address
      env: { ...process.env, RATE_LIMIT_PER_MINUTE: '0', ...env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    await exited;
  };
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(200)) {
    if (proc.exitCode !== null) throw new Error(`bot runtime exited during start:\n${out}`);
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) return { proc, url, output: () => out, stop };
  }
  await stop();
  throw new Error(`bot runtime did not become ready:\n${out}`);
}
