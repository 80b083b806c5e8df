import { TURN_BUCKETS } from '../../../bot-runtime/metrics/buckets.js';
import type { Histogram } from '../sources/histogram.js';
import type { StepOutcome } from './fleet-model.js';

/** The bot runtime's chatfleet_turn_duration_seconds buckets (CONTRACT.md "Metrics the operator reads"). */
export const CONTRACT_BUCKETS = TURN_BUCKETS;

/** Fine log bins (2 % wide) for the ground-truth percentile used to score violations. */
const LOG_BASE = 1.02;
const LOG_MIN = 0.001;
const LOG_BINS = Math.ceil(Math.log(100 / LOG_MIN) / Math.log(LOG_BASE)) + 1;
/** A shed turn (503) is scored as this latency: a user who got no answer. */
export const SHED_LATENCY_SECONDS = 10;

const logBin = (seconds: number): number =>
  Math.min(
    LOG_BINS - 1,
    Math.max(0, Math.floor(Math.log(Math.max(seconds, LOG_MIN) / LOG_MIN) / Math.log(LOG_BASE))),
  );

interface SecondSlot {
  contract: number[];
  truth: Float64Array;
  turns: number;
  latencySum: number;
  inflightIntegral: number;
}

function emptySlot(): SecondSlot {
  return {
    contract: new Array<number>(CONTRACT_BUCKETS.length + 1).fill(0),
    truth: new Float64Array(LOG_BINS),
    turns: 0,
    latencySum: 0,
    inflightIntegral: 0,
  };
}

/**
 * Per-second ring of what the fleet did: contract-bucket histograms (what the scrape source would see),
 * fine-grained latencies (ground truth for scoring), and the time-averaged in-flight count (what Knative's
 * queue-proxy reports).
 */
export class Recorder {
  private readonly slots: SecondSlot[];
  private current = emptySlot();
  private closed = 0;

  constructor(private readonly capacitySeconds = 130) {
    this.slots = Array.from({ length: capacitySeconds }, emptySlot);
  }

  add(outcome: StepOutcome, inflight: number, dt: number): void {
    const slot = this.current;
    for (const latency of outcome.latencies) {
      const i = CONTRACT_BUCKETS.findIndex((b) => latency <= b);
      slot.contract[i === -1 ? CONTRACT_BUCKETS.length : i]! += 1;
      slot.truth[logBin(latency)]! += 1;
      slot.latencySum += latency;
    }
    slot.truth[logBin(SHED_LATENCY_SECONDS)]! += outcome.shed;
    slot.turns += outcome.latencies.length;
    slot.inflightIntegral += inflight * dt;
  }

  closeSecond(): void {
    this.slots[this.closed % this.capacitySeconds] = this.current;
    this.closed++;
    this.current = emptySlot();
  }

  private lastSeconds(seconds: number): SecondSlot[] {
    const n = Math.min(seconds, this.closed, this.capacitySeconds);
    return Array.from(
      { length: n },
      (_, k) => this.slots[(this.closed - 1 - k) % this.capacitySeconds] as SecondSlot,
    );
  }

  /** Cumulative contract-bucket histogram of turns completed in the last `seconds` (shed excluded). */
  contractHistogram(seconds: number): Histogram {
    const sums = new Array<number>(CONTRACT_BUCKETS.length + 1).fill(0);
    for (const slot of this.lastSeconds(seconds)) slot.contract.forEach((c, i) => (sums[i]! += c));
    let running = 0;
    const counts = sums.map((c) => (running += c));
    return { bounds: [...CONTRACT_BUCKETS, Infinity], counts };
  }

  /** Exact-ish percentile (2 % bins) over the last `seconds`, shed turns counted as 10 s; null without turns. */
  truthQuantile(q: number, seconds: number): number | null {
    const sums = new Float64Array(LOG_BINS);
    for (const slot of this.lastSeconds(seconds))
      for (let i = 0; i < LOG_BINS; i++) sums[i]! += slot.truth[i]!;
    const total = sums.reduce((a, b) => a + b, 0);
    if (total === 0) return null;
    let running = 0;
    for (let i = 0; i < LOG_BINS; i++) {
      running += sums[i]!;
      if (running >= q * total) return LOG_MIN * LOG_BASE ** (i + 1);
    }
    return SHED_LATENCY_SECONDS;
  }

  /** Turn-seconds completed in the last `seconds` (the duration histogram's `_sum` increase). */
  latencySum(seconds: number): number {
    return this.lastSeconds(seconds).reduce((sum, s) => sum + s.latencySum, 0);
  }

  /** Time-averaged total in-flight over the last `seconds`. */
  averageInflight(seconds: number): number {
    const slots = this.lastSeconds(seconds);
    return slots.length === 0 ? 0 : slots.reduce((sum, s) => sum + s.inflightIntegral, 0) / slots.length;
  }
}
