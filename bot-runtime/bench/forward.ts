/**
 * tsx bot-runtime/bench/forward.ts — what a forwarded turn adds.
 *
 * Two runtimes as child processes on 127.0.0.1 (stable and canary track, the test environment's
 * Redis, routing from a file with the canary at 100 %, so every new conversation is pinned to the
 * canary). The same canary conversations are then driven, interleaved, (a) straight at the canary
 * pod and (b) at the stable pod, which forwards every turn to the canary. Both paths do the same
 * pin read and the same turn; (b) adds the hop. Also: (c) a stable pod with no canary in its
 * routing (no pin read) against (d) the same pod while a canary is active (pin read, served
 * locally), the cost of pinning on the fast path. Sequential (one turn in flight) and at
 * BENCH_FORWARD_CONCURRENCY (16) turns in flight. Env: REDIS_URL, BENCH_FORWARD_TURNS (3000).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { need, ROOT } from './support.js';

const TURNS = Number(process.env.BENCH_FORWARD_TURNS ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_FORWARD_CONCURRENCY ?? 16);
const versions = { stable: 'bench-stable', canary: 'bench-canary' };

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function start(env: Record<string, string>): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(`${ROOT}node_modules/.bin/tsx`, [`${ROOT}bot-runtime/main.ts`], {
    env: { ...process.env, REDIS_CLUSTER_NODES: '', KAFKA_BROKERS: '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${env.PORT}`;
  for (let i = 0; i < 300; i++) {
    if ((await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200) return { proc, url };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('runtime did not start');
}

function writeRouting(path: string, generation: number, canaryVersion: string | null): void {
  const body = {
    generation,
    stableVersion: versions.stable,
    canaryVersion,
    canaryWeight: canaryVersion ? 100 : 0,
    aborted: false,
  };
  writeFileSync(`${path}.tmp`, JSON.stringify(body));
  renameSync(`${path}.tmp`, path);
}

async function chat(
  url: string,
  sessionId?: string,
): Promise<{ ms: number; version: string; sessionId: string }> {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: 'hello', ...(sessionId && { sessionId }) }),
  });
  const body = (await res.json()) as { modelVersion: string; sessionId: string };
  if (res.status !== 200) throw new Error(`status ${res.status}`);
  return { ms: performance.now() - t0, version: body.modelVersion, sessionId: body.sessionId };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `turns` turns over `ids` against two targets, interleaved; returns latencies per target. */
async function interleaved(
  targets: string[],
  ids: string[],
  concurrency: number,
  expect: string,
): Promise<number[][]> {
  const lat: number[][] = targets.map(() => []);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < TURNS * targets.length) {
      const i = next++;
      const t = i % targets.length;
      const r = await chat(targets[t]!, ids[Math.floor(i / targets.length) % ids.length]);
      if (r.version !== expect) throw new Error(`served by ${r.version}, expected ${expect}`);
      lat[t]!.push(r.ms);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return lat.map((l) => l.sort((a, b) => a - b));
}

function row(name: string, a: number[], b: number[]): string {
  const f = (x: number): string => x.toFixed(2);
  return `| ${name} | ${f(pct(a, 50))} | ${f(pct(a, 99))} | ${f(pct(b, 50))} | ${f(pct(b, 99))} | ${f(pct(b, 50) - pct(a, 50))} | ${f(pct(b, 99) - pct(a, 99))} |`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cf-fwd-bench-'));
  const routing = join(dir, 'routing.json');
  writeRouting(routing, 1, versions.canary);
  const [sp, cp] = [await freePort(), await freePort()];
  const common = {
    REDIS_URL: need('REDIS_URL'),
    RATE_LIMIT_PER_MINUTE: '0',
    CHATFLEET_ROUTING_FILE: routing,
    CHATFLEET_STABLE_URL: `http://127.0.0.1:${sp}`,
    CHATFLEET_CANARY_URL: `http://127.0.0.1:${cp}`,
  };
  const stable = await start({
    ...common,
    PORT: String(sp),
    CHATFLEET_TRACK: 'stable',
    MODEL_VERSION: versions.stable,
  });
  const canary = await start({
    ...common,
    PORT: String(cp),
    CHATFLEET_TRACK: 'canary',
    MODEL_VERSION: versions.canary,
  });
  try {
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) ids.push((await chat(canary.url)).sessionId);
    const lines = [
      '| path (ms) | direct p50 | direct p99 | via p50 | via p99 | added p50 | added p99 |',
      '|---|---|---|---|---|---|---|',
    ];
    await interleaved([canary.url, stable.url], ids, 4, versions.canary); // warm-up
    for (const c of [1, CONCURRENCY]) {
      const [direct, via] = await interleaved([canary.url, stable.url], ids, c, versions.canary);
      lines.push(row(`forwarded turn, ${c} in flight`, direct!, via!));
    }
    // the pin read on a stable pod: no canary (none) vs canary active (read, served locally)
    const stableIds: string[] = [];
    for (let i = 0; i < 200; i++) stableIds.push(`bench-s-${Date.now().toString(36)}-${i}`);
    writeRouting(routing, 2, null);
    await new Promise((r) => setTimeout(r, 1500));
    const [noPin] = await interleaved([stable.url], stableIds, 1, versions.stable);
    writeRouting(routing, 3, versions.canary); // these sessions have turns: pinned to stable (legacy)
    await new Promise((r) => setTimeout(r, 1500));
    const [withPin] = await interleaved([stable.url], stableIds, 1, versions.stable);
    lines.push(row('pin read on a stable pod (none vs active canary)', noPin!, withPin!));
    const metrics = await (await fetch(`${stable.url}/metrics`)).text();
    const fwd = /chatfleet_forward_total\{result="ok"\} (\d+)/.exec(metrics)?.[1];
    console.log(
      `\n${lines.join('\n')}\n\nstable pod forwarded ${fwd} turns (chatfleet_forward_total{result="ok"})`,
    );
    console.log(
      metrics
        .split('\n')
        .filter((l) => l.startsWith('chatfleet_forward_duration_seconds'))
        .join('\n'),
    );
  } finally {
    stable.proc.kill('SIGTERM');
    canary.proc.kill('SIGTERM');
  }
}

await main();
