// `npm run load -- --rps 300 --duration 120 [--fleet demo] [--namespace chatfleet-dev]`: a bounded,
// open-loop load generator against a fleet's Service. Every 5 s it prints the achieved rate, p50
// and p99 of that interval, and the fleet's replicas whenever the autoscaler changes them.
// Each request opens its own connection, so kube-proxy spreads the load over every ready pod,
// including the ones the autoscaler adds while it runs.
import { request } from 'node:http';
import { DEFAULT_FLEET, DEFAULT_NAMESPACE, DemoError, Fleet, numberFlag, parseArgs } from './fleet.js';

const QUESTIONS = [
  'where is my order',
  'hello',
  'cancel my order',
  'thank you',
  'track my order',
  'talk to a human',
];
const REQUEST_TIMEOUT_MS = 10_000;
/** Past this many requests in flight the generator counts new ones as skipped instead of piling up. */
const MAX_INFLIGHT = 2_000;
const REPORT_EVERY_MS = 5_000;

interface Interval {
  latencies: number[];
  errors: number;
  /** non-200 answers by status; 0 = no answer (connection refused, reset or timed out) */
  byStatus: Map<number, number>;
  skipped: number;
}

const fresh = (): Interval => ({ latencies: [], errors: 0, byStatus: new Map(), skipped: 0 });

function errorText(iv: Interval): string {
  if (iv.errors === 0) return 'errors 0';
  const parts = [...iv.byStatus.entries()].map(
    ([status, n]) => `${status === 0 ? 'no answer' : status}: ${n}`,
  );
  return `errors ${iv.errors} (${parts.join(', ')})`;
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}

function postChat(url: URL, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', () => resolve(0));
    req.end(body);
  });
}

function line(t: number, iv: Interval, ms: number, replicas: string): string {
  const sorted = iv.latencies.sort((a, b) => a - b);
  const rate = (sorted.length / ms) * 1000;
  const f = (n: number): string => (Number.isNaN(n) ? '-' : n.toFixed(1));
  return (
    `t=${String(Math.round(t / 1000)).padStart(4)}s  rate ${rate.toFixed(1).padStart(7)}/s  ` +
    `p50 ${f(percentile(sorted, 0.5)).padStart(6)} ms  p99 ${f(percentile(sorted, 0.99)).padStart(6)} ms  ` +
    `${errorText(iv)}${iv.skipped ? `  skipped ${iv.skipped}` : ''}  replicas ${replicas}`
  );
}

async function main(): Promise<void> {
  const { flags } = parseArgs(process.argv.slice(2));
  const rps = numberFlag(flags, 'rps', 300, 1, 5_000);
  const durationMs = numberFlag(flags, 'duration', 120, 1, 3_600) * 1000;
  const fleet = new Fleet(flags.get('namespace') || DEFAULT_NAMESPACE, flags.get('fleet') || DEFAULT_FLEET);
  const target = await fleet.target();
  const url = new URL(`${target.baseUrl}/v1/chat`);
  console.log(
    `load: ${rps} requests/s for ${durationMs / 1000} s against ${target.namespace}/${target.name} (${url.origin})`,
  );

  let replicas = '?';
  const watchReplicas = async (): Promise<void> => {
    const r = await fleet.replicas().catch(() => undefined);
    if (!r) return;
    const now = `${r.ready}/${r.desired}${r.mode && r.mode !== 'stable' ? ` (${r.mode})` : ''}`;
    if (now !== replicas) {
      if (replicas !== '?') console.log(`        replicas ${replicas} -> ${now}: ${r.reason}`);
      replicas = now;
    }
  };
  await watchReplicas();
  const replicaTimer = setInterval(() => void watchReplicas(), 2_000);

  const all = fresh();
  let iv = fresh();
  let inflight = 0;
  let sent = 0;
  const t0 = performance.now();
  let lastReport = t0;
  const pending = new Set<Promise<void>>();
  while (performance.now() - t0 < durationMs) {
    const due = Math.floor(((performance.now() - t0) / 1000) * rps);
    for (; sent < due; sent++) {
      if (inflight >= MAX_INFLIGHT) {
        iv.skipped++;
        all.skipped++;
        continue;
      }
      inflight++;
      const started = performance.now();
      const body = JSON.stringify({ message: QUESTIONS[sent % QUESTIONS.length] });
      const p = postChat(url, body).then((status) => {
        inflight--;
        const ms = performance.now() - started;
        if (status === 200) {
          iv.latencies.push(ms);
          all.latencies.push(ms);
        } else {
          for (const t of [iv, all]) {
            t.errors++;
            t.byStatus.set(status, (t.byStatus.get(status) ?? 0) + 1);
          }
        }
      });
      pending.add(p);
      void p.finally(() => pending.delete(p));
    }
    if (performance.now() - lastReport >= REPORT_EVERY_MS) {
      console.log(line(performance.now() - t0, iv, performance.now() - lastReport, replicas));
      iv = fresh();
      lastReport = performance.now();
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(pending);
  clearInterval(replicaTimer);
  await watchReplicas();
  console.log(
    `total: ${line(performance.now() - t0, all, performance.now() - t0, replicas).replace(/^t=\s*\d+s\s+/, '')}`,
  );
  if (all.latencies.length === 0) throw new DemoError('no request succeeded');
}

main().catch((err: unknown) => {
  console.error(
    err instanceof DemoError ? err.message : err instanceof Error ? (err.stack ?? err.message) : err,
  );
  process.exitCode = 1;
});
