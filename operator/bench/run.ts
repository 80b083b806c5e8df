// `npm run bench:operator [N]`: how fast the operator turns N (default 1,000) ChatbotDeployments into
// Ready fleets on the test environment, compared in the same run with how fast the API server accepts
// the same child objects written directly; then what the operator costs once they are steady: its RSS
// and the API requests it sends over a quiet window (the goal is none). The operator runs as the
// image runs it: compiled JavaScript (`npm run build`), not tsx, so its memory is what production
// pays. Needs KUBECONFIG (source .testenv/env). Prints figures only.
// Fails (exit 1) when the fleets stop making progress or miss the deadline, naming why, and
// when anything it did tried to send a packet off the machine (testenv/network.sh's guard).
import { KubeClient } from '../kube/client.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { Resources } from '../kube/resources.js';
import { benchArgs } from './args.js';
import type { BenchArgs } from './args.js';
import {
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
import { assertNoEgressSince, egressGuardCount } from '../../scripts/egress-guard.js';

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

async function operatorRun(client: KubeClient, ns: string, a: BenchArgs): Promise<Record<string, number>> {
  await createNamespace(client, ns);
  await createRedisSecret(client, ns);
  const op = await startOperator(ns, a);
  let peak = memory(op.pid).peak;
  const t0 = performance.now();
  const inputs = Array.from({ length: a.fleets }, (_, i) => crInput(ns, i));
  await pool(inputs, a.parallelCreates, (input) => client.create(Resources.ChatbotDeployment, ns, input));
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
  const a = benchArgs();
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
