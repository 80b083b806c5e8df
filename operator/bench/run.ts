// `npm run bench:operator [N]`: how fast the operator turns N (default 1,000) ChatbotDeployments into
// Ready fleets on the test environment, compared in the same run with how fast the API server accepts
// the operator's steady end state written directly (the CRs, every child with the fields the operator
// applied, and the status, in the same order and parallelism: fleets.ts baseline); then what the
// operator costs once they are steady: its RSS and the API requests it sends over a quiet window (the
// goal is none). The operator runs as the
// image runs it: compiled JavaScript (`npm run build`), not tsx, so its memory is what production
// pays. Needs KUBECONFIG (source .testenv/env). Prints figures only.
// Fails (exit 1) when the fleets stop making progress or miss the deadline, naming why, and
// when anything it did tried to send a packet off the machine (testenv/network.sh's guard).
import type { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { KubeClient } from '../kube/client.js';
import { Informer } from '../kube/informer.js';
import type { ChatbotDeployment } from '../api/index.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { Resources } from '../kube/resources.js';
import { benchArgs } from './args.js';
import type { BenchArgs } from './args.js';
import {
  availableDeployments,
  baseline,
  checkProgress,
  createNamespace,
  createRedisSecret,
  crInput,
  pool,
  readiness,
} from './fleets.js';
import {
  deploymentApplies,
  grownSeries,
  histogramQuantile,
  requestSeries,
  scrape,
  steadyCounts,
  sumWrites,
} from './metrics-text.js';
import type { SteadyCounts } from './metrics-text.js';
import { build, memory, startOperator } from './operator-process.js';
import { apiserverRequests, requestDelta } from './apiserver-metrics.js';
import { copySteadyState } from './steady-copy.js';
import { report } from './report.js';
import type { OperatorFigures } from './report.js';
import { assertNoEgressSince, egressGuardCount } from '../../scripts/egress-guard.js';

/**
 * Until the operator sent no write for 10 s (at most 120 s): transitions that follow Ready by design
 * (the autoscaler's FallbackActive after 3 failed metric fetches from kwok pods, which serve nothing)
 * land before the window, so the window sees only what a steady state sends.
 */
async function settled(port: number): Promise<void> {
  const t0 = performance.now();
  let writes = steadyCounts(await scrape(port)).writes;
  let quietSince = performance.now();
  while (performance.now() - quietSince < 10_000 && performance.now() - t0 < 120_000) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = steadyCounts(await scrape(port)).writes;
    if (now !== writes) quietSince = performance.now();
    writes = now;
  }
}

/**
 * After every fleet is Ready: lets the last status writes land (settled), then counts what the operator sends
 * in a quiet window. Periodic resyncs still reconcile every fleet; they must find nothing to do.
 */
async function steadyWindow(port: number, a: BenchArgs): Promise<SteadyCounts & { seconds: number }> {
  await settled(port);
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

/**
 * Until every fleet is Ready, as the bench's own informer on the CRs sees them; fails (checkProgress)
 * once progress stops or time runs out. A watch, not a LIST every 500 ms: listing 500 CRs twice a
 * second loaded the API server during the operator run only (the baseline has nothing to poll).
 */
async function untilReady(
  fleets: Informer,
  a: BenchArgs,
  op: { port: number; pid: number; t0: number },
): Promise<{ childrenWritten: number; peak: number }> {
  let ready = 0;
  let lastReport = 0;
  let childrenWritten = 0;
  let deploymentsApplied = 0;
  let lastProgressAt = 0;
  let scrapedAt = -Infinity;
  let peak = 0;
  while (ready < a.fleets) {
    await new Promise((r) => setTimeout(r, 500));
    // The cache holds the CRs as the API server sent them.
    const now = readiness(fleets.list() as unknown as ChatbotDeployment[]);
    const elapsed = (performance.now() - op.t0) / 1000;
    // Progress is a fleet turning Ready or a Deployment applied: the first status of a fleet waits for
    // its Deployment's (statusWaitsForDeployment), so a long queue of creates shows no Ready at first.
    // Every 2 s: with 500 fleets the operator's /metrics is large, and rendering it blocks the event
    // loop that runs the reconciles (Prometheus scrapes it every 15-30 s, not twice a second).
    let applies = deploymentsApplied;
    if (elapsed - scrapedAt >= 2 || now.ready >= a.fleets) {
      applies = deploymentApplies(await scrape(op.port));
      scrapedAt = elapsed;
    }
    if (now.ready > ready || applies > deploymentsApplied) lastProgressAt = elapsed;
    ready = now.ready;
    deploymentsApplied = applies;
    if (!childrenWritten && applies >= a.fleets) childrenWritten = elapsed;
    peak = Math.max(peak, memory(op.pid).peak);
    if (elapsed - lastReport >= 5) {
      lastReport = elapsed;
      console.error(`  ${ready}/${a.fleets} Ready after ${elapsed.toFixed(0)} s`);
    }
    checkProgress(a, { ready, why: now.why, elapsed, lastProgressAt });
  }
  return { childrenWritten, peak };
}

async function operatorRun(
  kc: KubeConfig,
  client: KubeClient,
  ns: string,
  a: BenchArgs,
): Promise<OperatorFigures> {
  await createNamespace(client, ns);
  await createRedisSecret(client, ns);
  const fleets = new Informer(kc, client, {
    resource: Resources.ChatbotDeployment,
    namespace: ns,
    onChange: () => undefined,
    logger: pino({ level: 'warn' }),
  });
  await fleets.start();
  const op = await startOperator(ns, a);
  let peak = memory(op.pid).peak;
  const t0 = performance.now();
  const inputs = Array.from({ length: a.fleets }, (_, i) => crInput(ns, i));
  await pool(inputs, a.parallelCreates, (input) => client.create(Resources.ChatbotDeployment, ns, input));
  const createdAt = performance.now();
  let progress: { childrenWritten: number; peak: number };
  try {
    progress = await untilReady(fleets, a, { port: op.port, pid: op.pid, t0 });
  } catch (err) {
    await op.stop();
    throw err;
  } finally {
    await fleets.stop();
  }
  const { childrenWritten } = progress;
  peak = Math.max(peak, progress.peak);
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
    requests: requestSeries(text),
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

/** The baseline's pods: how long kwok and the controllers take to make its Deployments available. */
async function baselinePodsSeconds(
  client: KubeClient,
  ns: string,
  fleets: number,
): Promise<number | undefined> {
  const t0 = performance.now();
  for (let i = 0; i < 240; i++) {
    if ((await availableDeployments(client, ns).catch(() => 0)) >= fleets)
      return (performance.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 500));
  }
  return undefined;
}

/** Namespaces of this bench (an earlier run's are deleted in its finally, and take minutes to go). */
const BENCH_NAMESPACE = /^cf-bench-(bl|op)-/;

/**
 * Until no bench namespace is left (at most 10 min). Deleting an earlier run's 1,000 fleets keeps the
 * API server busy for minutes: a run started meanwhile would pay for it in its operator phase, which
 * comes first, and not in its baseline, so back-to-back runs measured the cleanup, not the operator.
 */
async function benchNamespacesGone(client: KubeClient, why: string): Promise<void> {
  const t0 = performance.now();
  let loggedAt = -Infinity;
  for (;;) {
    const left = (await client.list(Resources.Namespace, undefined)).items.filter((n) =>
      BENCH_NAMESPACE.test(n.metadata.name ?? ''),
    );
    if (left.length === 0) return;
    const waited = (performance.now() - t0) / 1000;
    if (waited > 600) throw new Error(`bench namespaces still deleting after 600 s: ${left.length} left`);
    if (waited - loggedAt >= 30) {
      loggedAt = waited;
      console.error(`  ${why}: waiting for ${left.length} bench namespace(s) to finish deleting`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function main(): Promise<void> {
  const a = benchArgs();
  if (!process.env.KUBECONFIG)
    throw new Error('KUBECONFIG is not set: run `set -a; source .testenv/env; set +a` first.');
  const { kc } = loadKubeConfig(process.env);
  const client = await KubeClient.create(kc);
  await client.probe();
  await benchNamespacesGone(client, 'before the run');
  // Names of the same length: the baseline's copies carry the namespace in the same places.
  const suffix = Date.now().toString(36);
  const direct = `cf-bench-bl-${suffix}`;
  const managed = `cf-bench-op-${suffix}`;
  console.log(
    `operator bench: ${a.fleets} ChatbotDeployments, operator concurrency ${a.concurrency}, ` +
      `node ${a.nodeFlags.join(' ') || '(no flags)'} (compiled operator/main.ts)`,
  );
  await build();
  const guardBefore = egressGuardCount();
  try {
    const api0 = await apiserverRequests();
    const r = await operatorRun(kc, client, managed, a);
    const api1 = await apiserverRequests();
    // The operator has stopped: its namespace holds exactly its steady end state.
    const copies = await copySteadyState(client, managed, direct);
    const api2 = await apiserverRequests();
    const base = await baseline(client, direct, copies, a);
    const api3 = await apiserverRequests();
    const podsSeconds = await baselinePodsSeconds(client, direct, a.fleets);
    report(a, { ...base, podsSeconds }, r, {
      operator: requestDelta(api0, api1),
      baseline: requestDelta(api2, api3),
    });
    console.log(assertNoEgressSince(guardBefore, 'the operator bench'));
  } finally {
    await client.delete(Resources.Namespace, undefined, direct).catch(() => undefined);
    await client.delete(Resources.Namespace, undefined, managed).catch(() => undefined);
    await benchNamespacesGone(client, 'after the run').catch((err: unknown) => console.error(err));
    client.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
