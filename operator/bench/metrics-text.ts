/** Figures read from the operator's /metrics text (Prometheus exposition format). Pure but for scrape(). */
export async function scrape(port: number): Promise<string> {
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
export function deploymentApplies(text: string): number {
  const m = /^chatfleet_operator_kube_writes_total\{verb="apply",kind="Deployment"\} (\S+)$/m.exec(text);
  return Number(m?.[1] ?? 0);
}

export function sumWrites(text: string): { children: number; status: number; events: number } {
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
export function counterSum(text: string, metric: string, labels?: RegExp): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${metric}\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
    if (!labels || labels.test(m[1] ?? '')) sum += Number(m[2]);
  }
  return sum;
}

export interface SteadyCounts {
  cpuSeconds: number;
  writes: number;
  gets: number;
  lists: number;
  reconciles: number;
}

/** Requests to the API server (Lease renewals excluded) and reconciles so far. */
export function steadyCounts(text: string): SteadyCounts {
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
export function requestSeries(text: string): Map<string, number> {
  const series = new Map<string, number>();
  const re = /^chatfleet_operator_kube_(writes|reads)_total\{([^}]*)\} (\S+)$/gm;
  for (const m of text.matchAll(re)) {
    if (!/kind="Lease"/.test(m[2] ?? '')) series.set(`${m[1]}{${m[2]}}`, Number(m[3]));
  }
  return series;
}

/** The series that grew between two scrapes, for naming what a steady state should not have sent. */
export function grownSeries(before: Map<string, number>, after: Map<string, number>): string {
  const grown = [...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const).filter(([, d]) => d > 0);
  return grown.map(([k, d]) => `${k} +${d}`).join(', ');
}
