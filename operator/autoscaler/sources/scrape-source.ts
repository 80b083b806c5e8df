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
import { fetchBounded, MIB, ScrapeError, type FetchText } from './bounded-fetch.js';
import { parsePromText } from './prom-text.js';
import { forgetScrapeMetrics, type ScrapeFailureLabel, type ScrapeMetrics } from './scrape-metrics.js';
import { errorMessage } from '../../kube/errors.js';
import { fleetKey, type FleetTarget, type MetricSource, type MetricWindow } from './types.js';

interface PodSnapshot {
  time: number;
  histogram: Histogram;
  /** `_sum` of the duration histogram: turn-seconds completed since the process started. */
  durationSum: number;
  inflight: number;
}

export type { FetchText } from './bounded-fetch.js';

export interface ScrapeSourceOptions {
  /** Deadline of one pod's scrape (connect, headers, body). Default 2 s. */
  timeoutMs?: number;
  /** Largest /metrics body read from one pod, after decoding. Default 4 MiB. */
  maxBytes?: number;
  /** Pods scraped at once per fleet; bounds memory to about maxConcurrent x maxBytes. Default 8. */
  maxConcurrent?: number;
  /** Deadline of one fleet's whole fetch; pods not started by then count as failed. Default 10 s. */
  fleetTimeoutMs?: number;
  /** Distinct histogram buckets accepted from one pod (the contract has 19). Default 256. */
  maxBuckets?: number;
  /** How the text is fetched; defaults to fetchBounded. */
  fetchText?: FetchText;
  metrics?: ScrapeMetrics | undefined;
  /** Injected clock for the fleet deadline (ms); defaults to performance.now. */
  monotonicNow?: () => number;
}

const SERIES = new Set([`${TURN_DURATION}_bucket`, `${TURN_DURATION}_sum`, TURNS_INFLIGHT]);

/** A pod the fleet deadline left unscraped. */
class FleetDeadline extends Error {
  constructor(endpoint: string, ms: number) {
    super(`${endpoint}: not scraped, the fleet's scrapes took longer than ${ms} ms`);
  }
}

function fleetLabels(fleet: FleetTarget): { namespace: string; name: string } {
  return { namespace: fleet.namespace, name: fleet.name };
}

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
  private readonly limits: Required<Omit<ScrapeSourceOptions, 'metrics' | 'fetchText' | 'monotonicNow'>>;
  private readonly fetchText: FetchText;
  private readonly now: () => number;

  constructor(private readonly options: ScrapeSourceOptions = {}) {
    this.limits = {
      timeoutMs: options.timeoutMs ?? 2000,
      maxBytes: options.maxBytes ?? 4 * MIB,
      maxConcurrent: options.maxConcurrent ?? 8,
      fleetTimeoutMs: options.fleetTimeoutMs ?? 10_000,
      maxBuckets: options.maxBuckets ?? 256,
    };
    this.fetchText = options.fetchText ?? fetchBounded;
    this.now = options.monotonicNow ?? (() => performance.now());
  }

  forget(key: string): void {
    this.fleets.delete(key);
    const slash = key.indexOf('/');
    if (this.options.metrics)
      forgetScrapeMetrics(this.options.metrics, key.slice(0, slash), key.slice(slash + 1));
  }

  async fetch(fleet: FleetTarget, window: MetricWindow): Promise<MetricObservation> {
    const time = window.now;
    if (fleet.podEndpoints.length === 0) return { kind: 'noData', time, reason: 'no ready pods to scrape' };
    const key = fleetKey(fleet);
    const known = this.fleets.get(key);
    const state = known ?? { pods: new Map<string, PodSnapshot[]>() };
    this.fleets.set(key, state);
    const results = await this.scrapeAll(fleet, time);
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

  /**
   * Every pod's scrape, at most maxConcurrent at a time, the whole fleet within fleetTimeoutMs. Each
   * scrape is bounded on its own, so one hostile pod costs its fleet at most timeoutMs of one slot.
   */
  private async scrapeAll(fleet: FleetTarget, time: number): Promise<PromiseSettledResult<PodSnapshot>[]> {
    const deadline = this.now() + this.limits.fleetTimeoutMs;
    const endpoints = fleet.podEndpoints;
    const results = new Array<PromiseSettledResult<PodSnapshot>>(endpoints.length);
    let next = 0;
    const settle = async (endpoint: string): Promise<PromiseSettledResult<PodSnapshot>> => {
      if (this.now() >= deadline) {
        return { status: 'rejected', reason: new FleetDeadline(endpoint, this.limits.fleetTimeoutMs) };
      }
      try {
        return { status: 'fulfilled', value: await this.scrape(endpoint, time, fleet) };
      } catch (reason) {
        return { status: 'rejected', reason };
      }
    };
    const worker = async (): Promise<void> => {
      for (let i = next++; i < endpoints.length; i = next++) {
        const result = await settle(endpoints[i] as string);
        if (result.status === 'rejected') this.countFailure(fleet, result.reason);
        results[i] = result;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.limits.maxConcurrent, endpoints.length) }, worker));
    return results;
  }

  private countFailure(fleet: FleetTarget, err: unknown): void {
    const reason: ScrapeFailureLabel =
      err instanceof ScrapeError ? err.reason : err instanceof FleetDeadline ? 'fleet_deadline' : 'invalid';
    this.options.metrics?.failures.inc({ ...fleetLabels(fleet), reason });
  }

  private async scrape(endpoint: string, time: number, fleet: FleetTarget): Promise<PodSnapshot> {
    const text = await this.fetchText(metricsUrl(endpoint), { ...this.limits, signal: fleet.signal });
    const { series, malformed } = parsePromText(text, SERIES);
    if (malformed > 0) this.options.metrics?.malformedLines.inc(fleetLabels(fleet), malformed);
    const inflight = gaugeSum(series, TURNS_INFLIGHT);
    if (inflight === null) {
      const skipped = malformed > 0 ? ` (${malformed} malformed lines skipped)` : '';
      throw new Error(`${endpoint}: no valid ${TURNS_INFLIGHT} in /metrics${skipped}`);
    }
    const counted = (labels: Record<string, string>): boolean => labels.outcome !== 'shed';
    const histogram = histogramFrom(series, TURN_DURATION, counted);
    if (histogram.bounds.length > this.limits.maxBuckets) {
      throw new Error(
        `${endpoint}: ${histogram.bounds.length} histogram buckets, more than ${this.limits.maxBuckets}`,
      );
    }
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
