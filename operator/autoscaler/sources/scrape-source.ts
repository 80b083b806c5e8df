import type { MetricObservation } from '../core/types.js';
import {
  EMPTY_HISTOGRAM,
  TURN_DURATION,
  TURNS_INFLIGHT,
  addHistograms,
  gaugeSum,
  histogramFrom,
  histogramQuantile,
  increase,
  isReset,
  totalCount,
  type Histogram,
} from './histogram.js';
import { parsePromText } from './prom-text.js';
import { errorMessage, fleetKey, type FleetTarget, type MetricSource, type MetricWindow } from './types.js';

interface PodSnapshot {
  time: number;
  histogram: Histogram;
  /** `_sum` of the duration histogram: turn-seconds completed since the process started. */
  durationSum: number;
  inflight: number;
}

export type FetchText = (url: string, timeoutMs: number) => Promise<string>;

export interface ScrapeSourceOptions {
  timeoutMs?: number;
  /** How the text is fetched; defaults to global fetch. */
  fetchText?: FetchText;
}

const SERIES = new Set([`${TURN_DURATION}_bucket`, `${TURN_DURATION}_sum`, TURNS_INFLIGHT]);

export const fetchTextWithTimeout: FetchText = async (url, timeoutMs) => {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return res.text();
};

function metricsUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/metrics';
  return url.toString();
}

/** Increase over the window from a pod's snapshots (oldest first), summing reset-aware steps. */
function podIncrease(snapshots: PodSnapshot[]): Histogram {
  let sum = EMPTY_HISTOGRAM;
  for (let i = 1; i < snapshots.length; i++) {
    const prev = snapshots[i - 1] as PodSnapshot;
    const cur = snapshots[i] as PodSnapshot;
    sum = addHistograms(sum, increase(prev.histogram, cur.histogram));
  }
  return sum;
}

/**
 * Keeps the snapshots inside the window plus the newest one before it, which is the baseline the first
 * in-window delta is measured from.
 */
function retain(snapshots: PodSnapshot[], windowStart: number): PodSnapshot[] {
  const firstInside = snapshots.findIndex((s) => s.time > windowStart);
  if (firstInside === -1) return snapshots.slice(-1);
  return snapshots.slice(Math.max(0, firstInside - 1));
}

/**
 * Average in-flight turns of a pod between its last two snapshots (Little's law: turn-seconds completed per
 * second). A restart (counters down) means the new sum is the increase. Null without two snapshots.
 */
function podConcurrency(snapshots: PodSnapshot[]): number | null {
  const prev = snapshots.at(-2);
  const cur = snapshots.at(-1);
  if (prev === undefined || cur === undefined || cur.time <= prev.time) return null;
  const reset = cur.durationSum < prev.durationSum || isReset(prev.histogram, cur.histogram);
  const delta = reset ? cur.durationSum : cur.durationSum - prev.durationSum;
  return delta / ((cur.time - prev.time) / 1000);
}

interface FleetState {
  pods: Map<string, PodSnapshot[]>;
  lastFetch?: number;
}

/**
 * Direct scrape of every ready pod's /metrics (the default source). Per pod it keeps the snapshots of the
 * last window; the latency percentile comes from the bucket increases over the window, summed across pods,
 * interpolated like histogram_quantile. A pod whose counters go down restarted: its new counts are the
 * increase. A pod that appears in a fleet already being watched started recently, so its first scrape is
 * measured from zero; on the very first scrape of a fleet (operator start) there is no baseline and the
 * sample has no latency (null), only in-flight.
 */
export class ScrapeSource implements MetricSource {
  private readonly fleets = new Map<string, FleetState>();
  private readonly timeoutMs: number;
  private readonly fetchText: FetchText;

  constructor(options: ScrapeSourceOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.fetchText = options.fetchText ?? fetchTextWithTimeout;
  }

  forget(key: string): void {
    this.fleets.delete(key);
  }

  async fetch(fleet: FleetTarget, window: MetricWindow): Promise<MetricObservation> {
    const time = window.now;
    if (fleet.podEndpoints.length === 0) return { kind: 'noData', time, reason: 'no ready pods to scrape' };
    const key = fleetKey(fleet);
    const known = this.fleets.get(key);
    const state = known ?? { pods: new Map<string, PodSnapshot[]>() };
    this.fleets.set(key, state);
    const results = await Promise.allSettled(fleet.podEndpoints.map((e) => this.scrape(e, time)));
    const errors: string[] = [];
    let histogram = EMPTY_HISTOGRAM;
    let inflight = 0;
    let podsReporting = 0;
    let concurrency: number | null = 0;
    results.forEach((result, i) => {
      const endpoint = fleet.podEndpoints[i] as string;
      if (result.status === 'rejected') return void errors.push(errorMessage(result.reason));
      const snapshots = this.record(state, endpoint, result.value, known !== undefined, window);
      histogram = addHistograms(histogram, podIncrease(snapshots));
      inflight += result.value.inflight;
      const podRate = podConcurrency(snapshots);
      concurrency = concurrency === null || podRate === null ? null : concurrency + podRate;
      podsReporting++;
    });
    state.lastFetch = time;
    this.dropGonePods(state, fleet.podEndpoints);
    if (podsReporting === 0) return { kind: 'failure', time, error: errors.join('; ') };
    const turns = totalCount(histogram);
    const quantile = histogramQuantile(window.percentile / 100, histogram);
    const latencyMs = turns > 0 && quantile !== null ? quantile * 1000 : null;
    return { kind: 'sample', time, latencyMs, turns, inflight, podsReporting, concurrency };
  }

  private async scrape(endpoint: string, time: number): Promise<PodSnapshot> {
    const text = await this.fetchText(metricsUrl(endpoint), this.timeoutMs);
    const series = parsePromText(text, SERIES);
    const inflight = gaugeSum(series, TURNS_INFLIGHT);
    if (inflight === null) throw new Error(`${endpoint}: no ${TURNS_INFLIGHT} in /metrics`);
    const counted = (labels: Record<string, string>): boolean => labels.outcome !== 'shed';
    const histogram = histogramFrom(series, TURN_DURATION, counted);
    const durationSum = series
      .filter((s) => s.name === `${TURN_DURATION}_sum` && counted(s.labels))
      .reduce((sum, s) => sum + s.value, 0);
    return { time, histogram, durationSum, inflight };
  }

  private record(
    state: FleetState,
    endpoint: string,
    snapshot: PodSnapshot,
    fleetKnown: boolean,
    window: MetricWindow,
  ): PodSnapshot[] {
    const previous = state.pods.get(endpoint);
    // A new pod in a watched fleet started after our last scrape: its counters began at zero.
    const zero = {
      time: state.lastFetch ?? snapshot.time - 1,
      histogram: EMPTY_HISTOGRAM,
      durationSum: 0,
      inflight: 0,
    };
    const baseline: PodSnapshot[] = previous ?? (fleetKnown ? [zero] : []);
    const snapshots = retain([...baseline, snapshot], window.now - window.seconds * 1000);
    state.pods.set(endpoint, snapshots);
    return snapshots;
  }

  private dropGonePods(state: FleetState, endpoints: string[]): void {
    const live = new Set(endpoints);
    for (const endpoint of state.pods.keys()) if (!live.has(endpoint)) state.pods.delete(endpoint);
  }
}
