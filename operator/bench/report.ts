import type { BenchArgs } from './args.js';

/** What the operator run measured (run.ts operatorRun). */
export interface OperatorFigures {
  /** The operator's own request counters at all-Ready, `writes{verb="apply",kind="Deployment"}` -> n. */
  requests: Map<string, number>;
  [figure: string]: number | Map<string, number>;
}

export interface BaselineFigures {
  fleets: number;
  objects: number;
  seconds: number;
  /** Until every baseline Deployment had its pods available; undefined when that took over 2 minutes. */
  podsSeconds: number | undefined;
}

/** `writes{verb="apply",kind="Deployment"}` -> `apply Deployment`, per fleet, largest first. */
export function perFleetByVerb(requests: Map<string, number>, fleets: number): string {
  return [...requests]
    .map(([k, v]) => {
      const verb = /verb="([^"]+)"/.exec(k)?.[1] ?? '?';
      const kind = /kind="([^"]+)"/.exec(k)?.[1] ?? '?';
      return [`${verb} ${kind}`, v / fleets] as const;
    })
    .filter(([, v]) => v > 0)
    .sort((x, y) => y[1] - x[1])
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(', ');
}

function perFleetApi(delta: [string, number][], fleets: number): string {
  return delta
    .filter(([, n]) => n / fleets >= 0.05)
    .map(([k, n]) => `${k} ${(n / fleets).toFixed(2)}`)
    .join(', ');
}

export function report(
  a: BenchArgs,
  base: BaselineFigures,
  r: OperatorFigures,
  api: { operator: [string, number][]; baseline: [string, number][] },
): void {
  const n = (k: string): number => (typeof r[k] === 'number' ? r[k] : 0);
  const f = (x: number | undefined, digits = 2): string => (x ?? 0).toFixed(digits);
  const per = (x: number): string => f(x / a.fleets);
  const baseRate = base.fleets / base.seconds;
  const opRate = a.fleets / n('allReadySeconds');
  const lines = [
    `baseline (the operator's steady end state written directly: CR, children, status; ${a.parallelCreates} creates and ` +
      `${a.concurrency} fleets in parallel): ${base.fleets} fleets, ${base.objects} writes in ${f(base.seconds)} s = ` +
      `${f(baseRate, 1)} fleets/s; its pods all available ${base.podsSeconds === undefined ? 'not within 120 s' : `${f(base.podsSeconds)} s later`}`,
    `operator: created ${a.fleets} CRs in ${f(n('createSeconds'))} s; every Deployment applied after ` +
      `${f(n('childrenWrittenSeconds'))} s; all Ready after ${f(n('allReadySeconds'))} s = ${f(opRate, 1)} fleets/s`,
    `  writes: ${n('childWrites')} child writes (${per(n('childWrites'))} per fleet), ${n('statusWrites')} status applies ` +
      `(${per(n('statusWrites'))} per fleet), ${n('events')} events (${per(n('events'))} per fleet)`,
    `  operator requests per fleet by verb and kind (its own counters): ${perFleetByVerb(r.requests, a.fleets)}`,
    `  API server requests per fleet (apiserver_request_total, all clients of the shared env): operator run ` +
      `${perFleetApi(api.operator, a.fleets)}; baseline ${perFleetApi(api.baseline, a.fleets)}`,
    `  reconciles: ${n('reconciles')} (${per(n('reconciles'))} per fleet), duration p50 ${f(n('p50') * 1000, 1)} ms, ` +
      `p99 ${f(n('p99') * 1000, 1)} ms (from histogram buckets)`,
    `  operator peak RSS: ${f(n('peakRssMiB'), 0)} MiB; RSS at steady state ${f(n('steadyRssMiB'), 0)} MiB; ` +
      `CPU ${f(n('cpuToReadySeconds'), 1)} s until all Ready, ${f(n('steadyCpuSeconds'), 1)} s in the steady window`,
    `steady state (${f(n('steadySeconds'), 0)} s after every fleet was Ready, Lease renewals excluded): ` +
      `${n('steadyReconciles')} reconciles, ${n('steadyWrites')} writes, ${n('steadyGets')} GETs, ${n('steadyLists')} LISTs`,
    `ratio: operator Ready rate / baseline rate = ${f((100 * opRate) / baseRate, 0)} % ` +
      `(goal >= 80 %; time ${f(n('allReadySeconds') / base.seconds)}x the baseline's)`,
  ];
  for (const line of lines) console.log(line);
}
