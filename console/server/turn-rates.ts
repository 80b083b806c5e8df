import { TURN_DURATION } from '../../operator/autoscaler/sources/histogram.js';
import { parsePromText } from '../../operator/autoscaler/sources/prom-text.js';

/**
 * Turns/s by source from two readings of the fleet's pods' counters. PURE: the sampler in
 * pod-turns.ts does the reading. The counters come from pods whose image the tenant chooses, so
 * every value is checked: negative, non-finite or absurd counts are ignored, and sources are bounded.
 */

/** turn count by source label of one pod. */
export type SourceCounts = Map<string, number>;
/** SourceCounts by pod uid, read at one time. */
export type PodCounts = Map<string, SourceCounts>;

const COUNT = `${TURN_DURATION}_count`;
const NAMES = new Set([COUNT]);
/** The runtime's sources are intent, cache, llm and fallback; more than this is not a bot runtime. */
const MAX_SOURCES = 8;
const MAX_SOURCE_LENGTH = 32;

/** The pod's turns so far by `source` (summed over its other labels, such as outcome). PURE. */
export function turnCounts(metricsText: string): SourceCounts {
  const counts: SourceCounts = new Map();
  for (const s of parsePromText(metricsText, NAMES).series) {
    const source = s.labels.source ?? 'unknown';
    if (!(s.value >= 0) || !Number.isFinite(s.value) || source.length > MAX_SOURCE_LENGTH) continue;
    if (!counts.has(source) && counts.size >= MAX_SOURCES) continue;
    counts.set(source, (counts.get(source) ?? 0) + s.value);
  }
  return counts;
}

/**
 * Turns/s by source between two readings `seconds` apart, summed over the pods read both times. A
 * counter that went down restarted with its pod's process: its new value is the increase. A pod read
 * only once has no baseline yet and adds nothing; `undefined` when no pod was read both times (no
 * data, never 0). PURE.
 */
export function turnRates(prev: PodCounts, cur: PodCounts, seconds: number): Map<string, number> | undefined {
  if (!(seconds > 0)) return undefined;
  const rates = new Map<string, number>();
  let pods = 0;
  for (const [uid, now] of cur) {
    const before = prev.get(uid);
    if (!before) continue;
    pods++;
    for (const [source, value] of now) {
      const old = before.get(source) ?? 0;
      const increase = value >= old ? value - old : value;
      rates.set(source, (rates.get(source) ?? 0) + increase / seconds);
    }
  }
  return pods === 0 ? undefined : rates;
}
