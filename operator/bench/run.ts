// `npm run bench:operator [N]`: how fast the operator turns N (default 1,000) ChatbotDeployments into
// Ready fleets on the test environment, compared in the same run with how fast the API server accepts
// the same child objects written directly; then what the operator costs once they are steady: its RSS
// and the API requests it sends over a quiet window (the goal is none). The operator runs as the
// image runs it: compiled JavaScript (`npm run build`), not tsx, so its memory is what production
// pays. Needs KUBECONFIG (source .testenv/env). Prints figures only.
// Fails (exit 1) when the fleets stop making progress or miss the deadline, naming why, and
// when anything it did tried to send a packet off the machine (testenv/network.sh's guard).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KubeClient } from '../kube/client.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { Resources } from '../kube/resources.js';
import { withAppliedHash } from '../controller/drift.js';
import {
  desiredConfigMap,
  desiredDeployment,
  desiredPodDisruptionBudget,
  desiredService,
  desiredServiceAccount,
} from '../workload/desired.js';
import { withDefaults } from '../api/index.js';
import type { ChatbotDeployment, ChatbotDeploymentInput } from '../api/index.js';
import type { KubeObject } from '../workload/types.js';
import { plainObject } from '../workload/types.js';
import { assertNoEgressSince, egressGuardCount } from '../../scripts/egress-guard.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface BenchArgs {
  fleets: number;
  concurrency: number;
  parallelCreates: number;
  /** Fail when no further fleet turned Ready for this long. */
  stallSeconds: number;
  /** Fail when not every fleet is Ready after this long. */
  deadlineSeconds: number;
  /** The quiet window after every fleet is Ready in which requests are counted. */
  steadySeconds: number;
  /** Node/V8 flags the operator runs with (the image's, unless BENCH_NODE_FLAGS). */
  nodeFlags: string[];
}

/** The Secret the bench's fleets name as their external Redis (nothing connects to it: kwok pods run nothing). */
const BENCH_REDIS_SECRET = 'bench-redis';

function args(): BenchArgs {
  const n = Number(process.argv[2] ?? process.env.BENCH_FLEETS ?? 1000);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`fleet count must be a positive integer, got ${process.argv[2]}`);
  return {
    fleets: n,
    concurrency: Number(process.env.BENCH_CONCURRENCY ?? 4),
    parallelCreates: 16,
    stallSeconds: Number(process.env.BENCH_STALL_SECONDS ?? 120),
    deadlineSeconds: Number(process.env.BENCH_DEADLINE_SECONDS ?? Math.max(600, n * 2)),
    steadySeconds: Number(process.env.BENCH_STEADY_SECONDS ?? 60),
    nodeFlags: operatorNodeFlags(
      readFileSync(`${root}operator/Dockerfile`, 'utf8'),
      process.env.BENCH_NODE_FLAGS,
    ),
  };
}

/**
 * Small requests, one replica and external Redis: every fleet is exactly one bot pod, so 1,000
 * fleets fit the kwok nodes (3 x 400 pods). With the default managed Redis each fleet would add
 * a Redis pod, and 2,000 pods do not fit.
 */
function crInput(namespace: string, i: number): ChatbotDeploymentInput {
  return {
    apiVersion: 'chatfleet.io/v1alpha1',
    kind: 'ChatbotDeployment',
    metadata: { name: `fleet-${i}`, namespace },
    spec: {
      runtime: {
        image: 'registry.local/chatfleet-bot:1.0',
        resources: { requests: { cpu: '5m', memory: '16Mi' }, limits: { memory: '32Mi' } },
      },
      model: { name: 'bench', version: 'v1' },
      scaling: { minReplicas: 1, maxReplicas: 2 },
      sessions: { redis: { mode: 'external', secretRef: { name: BENCH_REDIS_SECRET } } },
    },
  };
}

async function createRedisSecret(client: KubeClient, namespace: string): Promise<void> {
  await client.create(Resources.Secret, namespace, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: BENCH_REDIS_SECRET, namespace },
    stringData: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
  });
}

async function pool<T>(items: T[], parallel: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

async function createNamespace(client: KubeClient, name: string): Promise<void> {
  await client.create(Resources.Namespace, undefined, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  });
}

/** The children the operator would write for N fleets, without owners (no CR exists) and with 0 replicas (no pods). */
function directChildren(namespace: string, n: number): KubeObject[] {
  const objs: KubeObject[] = [];
  for (let i = 0; i < n; i++) {
    const input = crInput(namespace, i);
    // A placeholder uid: the desired builders always add an ownerReference, which is dropped below.
    const cbd: ChatbotDeployment = withDefaults({ ...input, metadata: { ...input.metadata, uid: 'none' } });
    const children = [
      desiredServiceAccount(cbd),
      desiredConfigMap(cbd),
      desiredService(cbd),
      desiredPodDisruptionBudget(cbd)!,
      desiredDeployment(cbd, { replicas: 0, env: [] }),
    ].map(plainObject);
    for (const c of children) {
      const { ownerReferences: _owners, ...metadata } = c.metadata;
      objs.push(withAppliedHash({ ...c, metadata }));
    }
  }
  return objs;
}

async function baseline(
  client: KubeClient,
  ns: string,
  a: BenchArgs,
): Promise<{ objects: number; seconds: number }> {
  await createNamespace(client, ns);
  const objs = directChildren(ns, a.fleets);
  const t0 = performance.now();
  await pool(objs, a.concurrency, (o) => client.apply(o, 'chatfleet-bench'));
  return { objects: objs.length, seconds: (performance.now() - t0) / 1000 };
}

interface OperatorProc {
  pid: number;
  port: number;
  stop(): Promise<void>;
}

/** Compiles to dist/ (as the image's build stage does) so the bench runs what production runs. */
async function build(): Promise<void> {
  const proc = spawn(
    `${root}node_modules/.bin/node`,
    [`${root}node_modules/typescript/bin/tsc`, '-p', 'tsconfig.build.json'],
    {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const code = await new Promise<number | null>((r) => proc.once('exit', r));
  if (code !== 0) throw new Error(`npm run build failed (exit ${code})`);
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

async function startOperator(ns: string, a: BenchArgs): Promise<OperatorProc> {
  const port = 19_900 + Math.floor(Math.random() * 90);
  const proc = spawn(
    `${root}node_modules/.bin/node`,
    [
      ...a.nodeFlags,
      `${root}dist/operator/main.js`,
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
function memory(pid: number): { peak: number; rss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { peak: kb('VmHWM') / 1024, rss: kb('VmRSS') / 1024 };
}

async function scrape(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

/** Quantile from a Prometheus histogram (linear within the bucket, as histogram_quantile does). */
export function histogramQuantile(text: string, metric: string, q: number): number {
  const buckets = new Map<number, number>();
  const re = new RegExp(`^${metric}_bucket\\{([^}]*)\\} (\\S+)$`, 'gm');
  for (const m of text.matchAll(re)) {
    const le = /le="([^"]+)"/.exec(m[1] ?? '')?.[1] ?? '+Inf';
    const bound = le === '+Inf' ? Infinity : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + Number(m[2]));
  }
  const sorted = [...buckets.entries()].sort((x, y) => x[0] - y[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const [bound, count] of sorted) {
    if (count >= rank) {
      if (bound === Infinity) return prevBound;
      return prevBound + ((bound - prevBound) * (rank - prevCount)) / Math.max(1, count - prevCount);
    }
    prevBound = bound;
    prevCount = count;
  }
  return prevBound;
}

/** Deployments are applied last in a reconcile: all N applied = every child of every fleet written. */
function deploymentApplies(text: string): number {
  const m = /^chatfleet_operator_kube_writes_total\{verb="apply",kind="Deployment"\} (\S+)$/m.exec(text);
  return Number(m?.[1] ?? 0);
}

function sumWrites(text: string): { children: number; status: number; events: number } {
  const out = { children: 0, status: 0, events: 0 };
  for (const m of text.matchAll(/^chatfleet_operator_kube_writes_total\{([^}]*)\} (\S+)$/gm)) {
    const kind = /kind="([^"]+)"/.exec(m[1] ?? '')?.[1] ?? '';
    const v = Number(m[2]);
    if (kind === 'Event') out.events += v;
    else if (kind.endsWith('/status')) out.status += v;
    else if (kind !== 'Lease') out.children += v;
  }
  return out;
}

/** Sum of a counter's series, optionally only those whose labels match `labels`. */
function counterSum(text: string, metric: string, labels?: RegExp): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${metric}\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
    if (!labels || labels.test(m[1] ?? '')) sum += Number(m[2]);
  }
  return sum;
}

interface SteadyCounts {
  cpuSeconds: number;
  writes: number;
  gets: number;
  lists: number;
  reconciles: number;
}

/** Requests to the API server (Lease renewals excluded) and reconciles so far. */
function steadyCounts(text: string): SteadyCounts {
  const notLease = /kind="(?!Lease")/;
  return {
    cpuSeconds: Number(/^process_cpu_seconds_total (\S+)$/m.exec(text)?.[1] ?? 0),
    writes: counterSum(text, 'chatfleet_operator_kube_writes_total', notLease),
    gets: counterSum(text, 'chatfleet_operator_kube_reads_total', /verb="get",kind="(?!Lease")/),
    lists: counterSum(text, 'chatfleet_operator_kube_reads_total', /verb="list"/),
    reconciles: counterSum(text, 'chatfleet_operator_reconcile_duration_seconds_count'),
  };
}

/** Every API request series but Lease renewals, as `writes{verb="apply",kind="Deployment"}` -> count. */
function requestSeries(text: string): Map<string, number> {
  const series = new Map<string, number>();
  const re = /^chatfleet_operator_kube_(writes|reads)_total\{([^}]*)\} (\S+)$/gm;
  for (const m of text.matchAll(re)) {
    if (!/kind="Lease"/.test(m[2] ?? '')) series.set(`${m[1]}{${m[2]}}`, Number(m[3]));
  }
  return series;
}

/** The series that grew between two scrapes, for naming what a steady state should not have sent. */
function grownSeries(before: Map<string, number>, after: Map<string, number>): string {
  const grown = [...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const).filter(([, d]) => d > 0);
  return grown.map(([k, d]) => `${k} +${d}`).join(', ');
}

/**
 * After every fleet is Ready: lets the last status writes land, then counts what the operator sends
 * in a quiet window. Periodic resyncs still reconcile every fleet; they must find nothing to do.
 */
async function steadyWindow(port: number, a: BenchArgs): Promise<SteadyCounts & { seconds: number }> {
  await new Promise((r) => setTimeout(r, 15_000));
  const beforeText = await scrape(port);
  const before = steadyCounts(beforeText);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, a.steadySeconds * 1000));
  const afterText = await scrape(port);
  const after = steadyCounts(afterText);
  const grown = grownSeries(requestSeries(beforeText), requestSeries(afterText));
  if (grown) console.log(`  requests in the steady window: ${grown}`);
  return {
    cpuSeconds: after.cpuSeconds - before.cpuSeconds,
    writes: after.writes - before.writes,
    gets: after.gets - before.gets,
    lists: after.lists - before.lists,
    reconciles: after.reconciles - before.reconciles,
    seconds: (performance.now() - t0) / 1000,
  };
}

function isReady(cr: ChatbotDeployment): boolean {
  const cond = cr.status?.conditions?.find((c) => c.type === 'Ready');
  return cond?.status === 'True' && cr.status?.observedGeneration === cr.metadata.generation;
}

async function readiness(
  client: KubeClient,
  ns: string,
): Promise<{ ready: number; why: Map<string, number> }> {
  const list = await client.list<ChatbotDeployment>(Resources.ChatbotDeployment, ns);
  const why = new Map<string, number>();
  let ready = 0;
  for (const cr of list.items) {
    if (isReady(cr)) {
      ready++;
      continue;
    }
    const reason = cr.status?.conditions?.find((c) => c.type === 'Ready')?.reason ?? 'NoStatus';
    why.set(reason, (why.get(reason) ?? 0) + 1);
  }
  return { ready, why };
}

/** Throws, naming the Ready reasons of the fleets that are not Ready, once progress stops or time runs out. */
function checkProgress(
  a: BenchArgs,
  s: { ready: number; why: Map<string, number>; elapsed: number; lastProgressAt: number },
): void {
  const stalled = s.elapsed - s.lastProgressAt >= a.stallSeconds;
  const late = s.elapsed >= a.deadlineSeconds;
  if (!stalled && !late) return;
  const reasons = [...s.why.entries()].map(([r, n]) => `${n} ${r}`).join(', ');
  throw new Error(
    `bench failed: ${s.ready}/${a.fleets} fleets Ready after ${s.elapsed.toFixed(0)} s ` +
      `(${late ? `deadline ${a.deadlineSeconds} s` : `no progress for ${a.stallSeconds} s`}); not Ready: ${reasons}`,
  );
}

async function operatorRun(client: KubeClient, ns: string, a: BenchArgs): Promise<Record<string, number>> {
  await createNamespace(client, ns);
  await createRedisSecret(client, ns);
  const op = await startOperator(ns, a);
  let peak = memory(op.pid).peak;
  const t0 = performance.now();
  const crs = Array.from({ length: a.fleets }, (_, i) => crInput(ns, i));
  await pool(crs, a.parallelCreates, (cr) => client.create(Resources.ChatbotDeployment, ns, cr));
  const createdAt = performance.now();
  let ready = 0;
  let lastReport = 0;
  let childrenWritten = 0;
  let lastProgressAt = 0;
  try {
    while (ready < a.fleets) {
      await new Promise((r) => setTimeout(r, 500));
      // The API server answers 429 while a CRD's storage reinitializes (another client applied it): poll again.
      const now = await readiness(client, ns).catch((err: unknown) => {
        console.error(
          `  readiness poll failed, retrying: ${err instanceof Error ? err.message : String(err)}`,
        );
        return undefined;
      });
      if (!now) continue;
      const elapsed = (performance.now() - t0) / 1000;
      if (now.ready > ready) lastProgressAt = elapsed;
      ready = now.ready;
      if (!childrenWritten && deploymentApplies(await scrape(op.port)) >= a.fleets) childrenWritten = elapsed;
      peak = Math.max(peak, memory(op.pid).peak);
      if (elapsed - lastReport >= 5) {
        lastReport = elapsed;
        console.error(`  ${ready}/${a.fleets} Ready after ${elapsed.toFixed(0)} s`);
      }
      checkProgress(a, { ready, why: now.why, elapsed, lastProgressAt });
    }
  } catch (err) {
    await op.stop();
    throw err;
  }
  const allReady = (performance.now() - t0) / 1000;
  const text = await scrape(op.port);
  let steady: SteadyCounts & { seconds: number };
  try {
    steady = await steadyWindow(op.port, a);
  } catch (err) {
    await op.stop();
    throw err;
  }
  const mem = memory(op.pid);
  await op.stop();
  const w = sumWrites(text);
  return {
    createSeconds: (createdAt - t0) / 1000,
    childrenWrittenSeconds: childrenWritten || allReady,
    allReadySeconds: allReady,
    childWrites: w.children,
    statusWrites: w.status,
    events: w.events,
    p50: histogramQuantile(text, 'chatfleet_operator_reconcile_duration_seconds', 0.5),
    p99: histogramQuantile(text, 'chatfleet_operator_reconcile_duration_seconds', 0.99),
    reconciles: Number(
      /^chatfleet_operator_reconcile_duration_seconds_count\{[^}]*\} (\S+)$/m.exec(text)?.[1] ?? 0,
    ),
    peakRssMiB: Math.max(peak, mem.peak),
    steadyRssMiB: mem.rss,
    cpuToReadySeconds: steadyCounts(text).cpuSeconds,
    steadyCpuSeconds: steady.cpuSeconds,
    steadySeconds: steady.seconds,
    steadyWrites: steady.writes,
    steadyGets: steady.gets,
    steadyLists: steady.lists,
    steadyReconciles: steady.reconciles,
  };
}

function report(a: BenchArgs, base: { objects: number; seconds: number }, r: Record<string, number>): void {
  const f = (n: number | undefined, digits = 2): string => (n ?? 0).toFixed(digits);
  const per = (n: number | undefined): string => f((n ?? 0) / a.fleets);
  const opRate = (r.childWrites ?? 0) / (r.childrenWrittenSeconds ?? 1);
  const lines = [
    `operator: created ${a.fleets} CRs in ${f(r.createSeconds)} s; every child applied after ${f(r.childrenWrittenSeconds)} s; ` +
      `all Ready after ${f(r.allReadySeconds)} s`,
    `  writes: ${r.childWrites} child applies (${per(r.childWrites)} per fleet), ${r.statusWrites} status applies ` +
      `(${per(r.statusWrites)} per fleet), ${r.events} events`,
    `  reconciles: ${r.reconciles} (${per(r.reconciles)} per fleet), duration p50 ${f((r.p50 ?? 0) * 1000, 1)} ms, ` +
      `p99 ${f((r.p99 ?? 0) * 1000, 1)} ms (from histogram buckets)`,
    `  operator peak RSS: ${f(r.peakRssMiB, 0)} MiB; RSS at steady state ${f(r.steadyRssMiB, 0)} MiB; ` +
      `CPU ${f(r.cpuToReadySeconds, 1)} s until all Ready, ${f(r.steadyCpuSeconds, 1)} s in the steady window`,
    `steady state (${f(r.steadySeconds, 0)} s after every fleet was Ready, Lease renewals excluded): ` +
      `${r.steadyReconciles} reconciles, ${r.steadyWrites} writes, ${r.steadyGets} GETs, ${r.steadyLists} LISTs ` +
      `(${f((r.steadyWrites ?? 0) / a.fleets, 3)} writes and ${f((r.steadyGets ?? 0) / a.fleets, 3)} GETs per fleet)`,
    `ratio: children applied by the operator / same children written directly = ${f((r.childrenWrittenSeconds ?? 0) / base.seconds)}x ` +
      `(child-write rate ${opRate.toFixed(0)}/s vs ${(base.objects / base.seconds).toFixed(0)}/s); ` +
      `all Ready (adds ReplicaSets, pods, scheduling, kwok) / written directly = ${f((r.allReadySeconds ?? 0) / base.seconds)}x`,
  ];
  for (const line of lines) console.log(line);
}

async function main(): Promise<void> {
  const a = args();
  if (!process.env.KUBECONFIG)
    throw new Error('KUBECONFIG is not set: run `set -a; source .testenv/env; set +a` first.');
  const { kc } = loadKubeConfig(process.env);
  const client = await KubeClient.create(kc);
  await client.probe();
  const suffix = Date.now().toString(36);
  const direct = `cf-bench-direct-${suffix}`;
  const managed = `cf-bench-op-${suffix}`;
  console.log(
    `operator bench: ${a.fleets} ChatbotDeployments, operator concurrency ${a.concurrency}, ` +
      `node ${a.nodeFlags.join(' ') || '(no flags)'} dist/operator/main.js`,
  );
  await build();
  const guardBefore = egressGuardCount();
  try {
    const base = await baseline(client, direct, a);
    const baseRate = base.objects / base.seconds;
    console.log(
      `direct SSA of the same children (no operator, ${a.concurrency} in parallel): ${base.objects} objects in ${base.seconds.toFixed(2)} s = ${baseRate.toFixed(0)} objects/s`,
    );
    const r = await operatorRun(client, managed, a);
    report(a, base, r);
    console.log(assertNoEgressSince(guardBefore, 'the operator bench'));
  } finally {
    await client.delete(Resources.Namespace, undefined, direct).catch(() => undefined);
    await client.delete(Resources.Namespace, undefined, managed).catch(() => undefined);
    client.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
