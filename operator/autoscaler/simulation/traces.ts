import type { FleetModelParams } from './fleet-model.js';
import { gaussian, seededRng } from './random.js';

/** A traffic trace: arrival rate (turns/s) as a function of simulated time (s). */
export interface Trace {
  name: string;
  durationSeconds: number;
  rate: (t: number) => number;
  /** How this trace's fleet differs from DEFAULT_MODEL (its pods' cost, its cache). */
  model?: Partial<FleetModelParams>;
  /**
   * The targetInflightPerPod a load test of this fleet gives (about 0.8 x the in-flight where the p95
   * reaches the SLO): what `ours-tuned` is set to and KPA's concurrency target. Default TARGET_INFLIGHT.
   */
  tunedInflightPerPod?: number;
}

export interface TraceOptions {
  /** Base rate, turns/s. */
  base: number;
  /** Scales every duration (1 = full length; the CI test uses a short version). */
  timeScale?: number;
  seed?: number;
}

const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));

export function steady(o: TraceOptions): Trace {
  return { name: 'steady', durationSeconds: 1200 * (o.timeScale ?? 1), rate: () => o.base };
}

/** A compressed day: 0.5x base at night, 2x at the afternoon peak. */
export function diurnal(o: TraceOptions): Trace {
  const d = 1800 * (o.timeScale ?? 1);
  return {
    name: 'diurnal',
    durationSeconds: d,
    rate: (t) => o.base * (0.5 + 1.5 * Math.sin((Math.PI * t) / d) ** 2),
  };
}

/** 10x within 60 s, held, then back to base. */
export function flashSpike(o: TraceOptions): Trace {
  const k = o.timeScale ?? 1;
  const [rise, hold, fall] = [300 * k, 360 * k, 900 * k];
  const ramp = 60 * Math.min(1, k * 2);
  const rate = (t: number): number => {
    if (t < rise) return o.base;
    if (t < hold) return o.base * (1 + 9 * clamp01((t - rise) / ramp));
    if (t < fall) return o.base * 10;
    return o.base * (1 + 9 * (1 - clamp01((t - fall) / ramp)));
  };
  return { name: 'flash-spike', durationSeconds: 1800 * k, rate };
}

/** Base to 5x over 25 minutes. */
export function slowRamp(o: TraceOptions): Trace {
  const d = 1800 * (o.timeScale ?? 1);
  return { name: 'slow-ramp', durationSeconds: d, rate: (t) => o.base * (1 + 4 * clamp01(t / (d * 0.85))) };
}

/** Base with a multiplicative log-normal factor redrawn every 5 s (seeded), plus Poisson arrivals. */
export function noisy(o: TraceOptions): Trace {
  const d = 1200 * (o.timeScale ?? 1);
  const rng = seededRng(o.seed ?? 7);
  const factors = Array.from({ length: Math.ceil(d / 5) + 1 }, () => Math.exp(0.35 * gaussian(rng)));
  return { name: 'noisy', durationSeconds: d, rate: (t) => o.base * (factors[Math.floor(t / 5)] ?? 1) };
}

/**
 * Steady base load; at 40 % of the run every turn's CPU work doubles (longer prompts, a heavier code path;
 * the image and model version stay the same, so nothing tells the scaler but the metrics). The p95 then
 * reaches 300 ms at about 4 in flight per pod instead of about 10.5. The tuned target is the one tuned
 * before the change: the load test is out of date, as it would be.
 */
export function costDoubles(o: TraceOptions): Trace {
  const d = 1500 * (o.timeScale ?? 1);
  return {
    name: 'cost-doubles',
    durationSeconds: d,
    rate: () => o.base,
    model: { cpuCostFactor: (t) => (t < 0.4 * d ? 1 : 2) },
  };
}

/**
 * A compressed day (as diurnal) on a fleet where 90 % of turns are cache hits: 5 ms instead of the LLM
 * wait, the same CPU work. Turns are short, so a pod holds few in flight: the p95 reaches 300 ms at about
 * 7.5 in flight per pod and a load test gives a target of 6 (p95 about 250 ms there).
 */
export function cacheHits(o: TraceOptions): Trace {
  return {
    ...diurnal(o),
    name: 'cache-hits',
    model: { cacheHitRatio: 0.9, cacheHitIoSeconds: 0.005 },
    tunedInflightPerPod: 6,
  };
}

export function allTraces(o: TraceOptions): Trace[] {
  return [steady(o), diurnal(o), flashSpike(o), slowRamp(o), noisy(o), costDoubles(o), cacheHits(o)];
}
