import {
  EMPTY_HISTOGRAM,
  TURN_DURATION,
  addHistograms,
  histogramFrom,
  increase,
  isReset,
  totalCount,
} from '../autoscaler/sources/histogram.js';
import type { Histogram } from '../autoscaler/sources/histogram.js';
import { parsePromText } from '../autoscaler/sources/prom-text.js';
import type { PromSeries } from '../autoscaler/sources/prom-text.js';
import type { Track } from '../workload/tracks.js';
import type { AnalysisSample, VersionSample } from './core/types.js';

/**
 * Analysis data from the bot pods' own /metrics (the rollout contract), the way the autoscaler's scrape
 * source reads them (same parser and histogram helpers): one scrape per pod gives cumulative counters; the
 * sample of a window is their increase since the baseline scrape taken when the window opened, summed per
 * track. Pure apart from the clock values passed in; the component does the fetching.
 */
export const ROLLOUT_GENERATION = 'chatfleet_rollout_generation';
export const CONVERSATIONS_STARTED = 'chatfleet_conversations_started_total';
const SERIES = new Set([`${TURN_DURATION}_bucket`, ROLLOUT_GENERATION, CONVERSATIONS_STARTED]);

/** Cumulative counters of one pod, as scraped. */
export interface PodCounters {
  turns: number;
  errors: number;
  fallbacks: number;
  latency: Histogram;
  /** New conversations this pod assigned, by the track it assigned them to. */
  conversations: Record<Track, number>;
}

export interface PodMetrics {
  /** chatfleet_rollout_generation; undefined when the pod does not export it (or reports -1). */
  generation: number | undefined;
  counters: PodCounters;
}

const notShed = (l: Record<string, string>): boolean => l.outcome !== 'shed';

function count(series: PromSeries[], include: (l: Record<string, string>) => boolean): number {
  return totalCount(histogramFrom(series, TURN_DURATION, (l) => notShed(l) && include(l)));
}

function conversations(series: PromSeries[], track: Track): number {
  return series
    .filter((s) => s.name === CONVERSATIONS_STARTED && s.labels.track === track)
    .reduce((sum, s) => sum + s.value, 0);
}

/** Parses one pod's /metrics text (hostile input: the tenant picks the image; the parser never throws). */
export function parsePodMetrics(text: string): PodMetrics {
  const { series } = parsePromText(text, SERIES);
  const gauge = series.find((s) => s.name === ROLLOUT_GENERATION)?.value;
  return {
    generation: gauge !== undefined && Number.isFinite(gauge) && gauge >= 0 ? gauge : undefined,
    counters: {
      turns: count(series, () => true),
      errors: count(series, (l) => l.outcome === 'error'),
      fallbacks: count(series, (l) => l.source === 'fallback'),
      // A new version starts with a cold cache: cache hits are left out of the latency comparison.
      latency: histogramFrom(series, TURN_DURATION, (l) => notShed(l) && l.source !== 'cache'),
      conversations: { stable: conversations(series, 'stable'), canary: conversations(series, 'canary') },
    },
  };
}

const ZERO: PodCounters = {
  turns: 0,
  errors: 0,
  fallbacks: 0,
  latency: EMPTY_HISTOGRAM,
  conversations: { stable: 0, canary: 0 },
};

/** Increase of a pod's counters; any counter going down means the process restarted (count from 0). */
export function counterIncrease(previous: PodCounters, current: PodCounters): PodCounters {
  const reset =
    current.turns < previous.turns ||
    current.conversations.stable < previous.conversations.stable ||
    current.conversations.canary < previous.conversations.canary ||
    isReset(previous.latency, current.latency);
  if (reset) return current;
  return {
    turns: current.turns - previous.turns,
    errors: Math.max(0, current.errors - previous.errors),
    fallbacks: Math.max(0, current.fallbacks - previous.fallbacks),
    latency: increase(previous.latency, current.latency),
    conversations: {
      stable: current.conversations.stable - previous.conversations.stable,
      canary: current.conversations.canary - previous.conversations.canary,
    },
  };
}

function add(a: PodCounters, b: PodCounters): PodCounters {
  return {
    turns: a.turns + b.turns,
    errors: a.errors + b.errors,
    fallbacks: a.fallbacks + b.fallbacks,
    latency: addHistograms(a.latency, b.latency),
    conversations: {
      stable: a.conversations.stable + b.conversations.stable,
      canary: a.conversations.canary + b.conversations.canary,
    },
  };
}

/** One pod's scrape in a round; `metrics` undefined when the pod could not be read. */
export interface PodScrape {
  pod: string;
  track: Track;
  metrics: PodMetrics | undefined;
}

export interface WindowState {
  window: string;
  from: string;
  baseline: Map<string, PodCounters>;
}

/**
 * Lowest routing generation over every pod of the round; undefined as soon as one pod is unreadable or
 * reports none (the step's window must not open on a guess).
 */
export function minGeneration(round: PodScrape[]): number | undefined {
  if (round.length === 0) return undefined;
  let min = Infinity;
  for (const p of round) {
    const g = p.metrics?.generation;
    if (g === undefined) return undefined;
    min = Math.min(min, g);
  }
  return min;
}

/**
 * Folds a scrape round into the window: a new window (or none yet) takes this round as its baseline and
 * yields no sample; otherwise the sample is the increase since the baseline per track. No readable pod at
 * all means no sample (the judge's "no data": Inconclusive, never a pass).
 */
export function advanceWindow(
  state: WindowState | undefined,
  window: string,
  round: PodScrape[],
  at: string,
): { state: WindowState; sample: AnalysisSample | undefined } {
  const readable = round.filter((p) => p.metrics !== undefined);
  if (!state || state.window !== window) {
    const baseline = new Map(readable.map((p) => [p.pod, p.metrics!.counters]));
    return { state: { window, from: at, baseline }, sample: undefined };
  }
  if (readable.length === 0) return { state, sample: undefined };
  const byTrack: Record<Track, PodCounters> = { stable: ZERO, canary: ZERO };
  for (const p of readable) {
    const base = state.baseline.get(p.pod);
    // First sight of a pod in this window (new, or unreadable at the baseline): it becomes its own
    // baseline. Under-counting its first turns is safe; counting its whole life would not be.
    if (!base) state.baseline.set(p.pod, p.metrics!.counters);
    else byTrack[p.track] = add(byTrack[p.track], counterIncrease(base, p.metrics!.counters));
  }
  const conversationsOf = (t: Track): number =>
    byTrack.stable.conversations[t] + byTrack.canary.conversations[t];
  const sample: AnalysisSample = {
    window,
    from: state.from,
    to: at,
    stable: versionSample(byTrack.stable, conversationsOf('stable')),
    canary: versionSample(byTrack.canary, conversationsOf('canary')),
  };
  return { state, sample };
}

function versionSample(c: PodCounters, conversationsStarted: number): VersionSample {
  return {
    turns: c.turns,
    errors: c.errors,
    fallbacks: c.fallbacks,
    latency: c.latency,
    conversations: conversationsStarted,
  };
}
