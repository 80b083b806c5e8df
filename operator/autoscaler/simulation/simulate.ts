import { FleetModel, type FleetModelParams } from './fleet-model.js';
import { Recorder } from './recorder.js';
import type { Bounds, SimScaler } from './scalers.js';
import type { Trace } from './traces.js';

export interface SimConfig {
  model: FleetModelParams;
  bounds: Bounds;
  /** SLO used for scoring: the percentile of the last `scoreWindowSeconds` must stay <= targetMs. */
  percentile: number;
  targetMs: number;
  scoreWindowSeconds: number;
  /** Model time step, seconds. */
  dt: number;
  /** Keep a time series point every this many seconds (for the plot); 0 = none. */
  seriesEverySeconds: number;
}

export const DEFAULT_SIM: Omit<SimConfig, 'model' | 'bounds'> = {
  percentile: 95,
  targetMs: 300,
  scoreWindowSeconds: 30,
  dt: 0.02,
  seriesEverySeconds: 5,
};

export interface SeriesPoint {
  t: number;
  load: number;
  replicas: number;
  ready: number;
  p95Ms: number | null;
}

export interface SimResult {
  trace: string;
  scaler: string;
  sloViolationSeconds: number;
  replicaSeconds: number;
  scaleEvents: number;
  worstLatencyMs: number;
  shedTurns: number;
  totalTurns: number;
  /** Invariant breaches (must stay 0): desired outside [min, max]; scale-down while in panic. */
  outOfBounds: number;
  scaleDownInPanic: number;
  series: SeriesPoint[];
}

interface Score {
  violation: number;
  replicaSeconds: number;
  events: number;
  worst: number;
  shed: number;
  turns: number;
  outOfBounds: number;
  downInPanic: number;
}

async function tickScaler(
  scaler: SimScaler,
  model: FleetModel,
  recorder: Recorder,
  now: number,
  score: Score,
  bounds: Bounds,
): Promise<number> {
  const decision = await scaler.decide({ now, model, recorder });
  const current = model.replicas;
  if (decision.desired < bounds.minReplicas || decision.desired > bounds.maxReplicas) score.outOfBounds++;
  if (decision.mode === 'panic' && decision.desired < current) score.downInPanic++;
  if (decision.desired !== current) {
    score.events++;
    model.setReplicas(decision.desired);
  }
  return now + (decision.nextTickSeconds ?? scaler.tickSeconds);
}

function scoreSecond(recorder: Recorder, config: SimConfig, score: Score): number | null {
  const p = recorder.truthQuantile(config.percentile / 100, config.scoreWindowSeconds);
  if (p === null) return null;
  const ms = p * 1000;
  if (ms > config.targetMs) score.violation++;
  score.worst = Math.max(score.worst, ms);
  return ms;
}

/** Runs one trace against one scaler; deterministic for a given model seed. */
export async function simulate(trace: Trace, scaler: SimScaler, config: SimConfig): Promise<SimResult> {
  const model = new FleetModel(config.model);
  const recorder = new Recorder();
  const score: Score = {
    violation: 0,
    replicaSeconds: 0,
    events: 0,
    worst: 0,
    shed: 0,
    turns: 0,
    outOfBounds: 0,
    downInPanic: 0,
  };
  const series: SeriesPoint[] = [];
  const stepsPerSecond = Math.round(1 / config.dt);
  let nextTick = scaler.tickSeconds;
  for (let second = 0; second < trace.durationSeconds; second++) {
    for (let k = 0; k < stepsPerSecond; k++) {
      const outcome = model.step(trace.rate(model.time), config.dt);
      recorder.add(outcome, model.inflight(), config.dt);
      score.shed += outcome.shed;
      score.turns += outcome.latencies.length + outcome.shed;
      score.replicaSeconds += model.podsAlive * config.dt;
    }
    recorder.closeSecond();
    const now = second + 1;
    const p95Ms = scoreSecond(recorder, config, score);
    if (now >= nextTick) nextTick = await tickScaler(scaler, model, recorder, now, score, config.bounds);
    if (config.seriesEverySeconds > 0 && now % config.seriesEverySeconds === 0) {
      series.push({
        t: now,
        load: trace.rate(now),
        replicas: model.replicas,
        ready: model.readyReplicas,
        p95Ms,
      });
    }
  }
  return {
    trace: trace.name,
    scaler: scaler.name,
    sloViolationSeconds: score.violation,
    replicaSeconds: Math.round(score.replicaSeconds),
    scaleEvents: score.events,
    worstLatencyMs: Math.round(score.worst),
    shedTurns: score.shed,
    totalTurns: score.turns,
    outOfBounds: score.outOfBounds,
    scaleDownInPanic: score.downInPanic,
    series,
  };
}
