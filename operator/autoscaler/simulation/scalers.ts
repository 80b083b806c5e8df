import { limitRate, stabilize } from '../core/behavior.js';
import { specFieldDefault } from '../../api/defaults.js';
import type { ChatbotDeployment } from '../../api/generated/chatbotdeployment.js';
import type { MetricObservation, Recommendation, ScaleEvent } from '../core/types.js';
import { FleetAutoscaler } from '../fleet-autoscaler.js';
import { histogramQuantile, totalCount } from '../sources/histogram.js';
import type { FleetTarget, MetricSource, MetricWindow } from '../sources/types.js';
import type { FleetModel } from './fleet-model.js';
import type { Recorder } from './recorder.js';

/** What a scaler may look at: the fleet (replica counts, pod CPU, gauges) and the recorded metrics. */
export interface SimView {
  now: number;
  model: FleetModel;
  recorder: Recorder;
}

export interface SimDecision {
  desired: number;
  mode: 'stable' | 'panic' | 'fallback';
  /** Seconds until the next decision; default the scaler's tickSeconds. */
  nextTickSeconds?: number;
}

export interface SimScaler {
  name: string;
  tickSeconds: number;
  decide(view: SimView): Promise<SimDecision>;
}

export interface Bounds {
  minReplicas: number;
  maxReplicas: number;
}

/** Our scaler's view of the fleet: what the scrape source would compute from the pods' /metrics. */
class SimScrapeSource implements MetricSource {
  view: SimView | undefined;
  private lastFetch: number | null = null;

  fetch(_fleet: FleetTarget, window: MetricWindow): Promise<MetricObservation> {
    const view = this.view as SimView;
    const ready = view.model.readyReplicas;
    if (ready === 0) return Promise.resolve({ kind: 'noData', time: window.now, reason: 'no ready pods' });
    const histogram = view.recorder.contractHistogram(window.seconds);
    const turns = totalCount(histogram);
    const q = histogramQuantile(window.percentile / 100, histogram);
    const since = this.lastFetch === null ? null : window.now / 1000 - this.lastFetch;
    this.lastFetch = window.now / 1000;
    return Promise.resolve({
      kind: 'sample',
      time: window.now,
      latencyMs: turns > 0 && q !== null ? q * 1000 : null,
      turns,
      inflight: view.model.inflight(),
      podsReporting: ready,
      concurrency: since === null || since <= 0 ? null : view.recorder.latencySum(since) / since,
    });
  }

  forget(): void {}
}

/** Our decision core, unmodified, through the same FleetAutoscaler entry point the controller calls. */
export function oursScaler(cbd: ChatbotDeployment, name = 'ours'): SimScaler {
  const source = new SimScrapeSource();
  const autoscaler = new FleetAutoscaler({ scrape: source });
  return {
    name,
    tickSeconds: cbd.spec.scaling.intervalSeconds,
    async decide(view) {
      source.view = view;
      const r = await autoscaler.evaluate({
        cbd,
        currentReplicas: view.model.replicas,
        readyReplicas: view.model.readyReplicas,
        podEndpoints: [],
        now: view.now * 1000,
      });
      return {
        desired: r.desiredReplicas,
        mode: r.statusAutoscaling.mode,
        nextTickSeconds: r.requeueAfterSeconds,
      };
    },
  };
}

interface HpaCpuInput {
  utilisations: number[];
  missing: number;
  unready: number;
  target: number;
  tolerance: number;
  current: number;
}

/** HPA v2 replica calculation for a resource metric, with its missing/unready pod rules. */
export function hpaReplicas(i: HpaCpuInput): number {
  if (i.utilisations.length === 0) return i.current;
  const sum = i.utilisations.reduce((a, b) => a + b, 0);
  const ratio = sum / i.utilisations.length / i.target;
  if (i.missing + i.unready === 0) {
    return Math.abs(ratio - 1) <= i.tolerance ? i.current : Math.ceil(ratio * i.utilisations.length);
  }
  // Scale-up: missing and unready pods use 0 %; scale-down: missing pods use 100 % of target.
  const up = ratio > 1;
  const count = i.utilisations.length + i.missing + (up ? i.unready : 0);
  const newRatio = (sum + (up ? 0 : i.missing * i.target)) / (count * i.target);
  if (Math.abs(newRatio - 1) <= i.tolerance || (up && newRatio < 1) || (!up && newRatio > 1))
    return i.current;
  return Math.ceil(newRatio * count);
}

/** HPA v2's default behavior, which the CRD's spec.scaling.behavior defaults copy (read from the schema). */
const HPA_BEHAVIOR = specFieldDefault('scaling').behavior;

/** HPA on CPU utilisation: 15 s loop, 0.1 tolerance, default behavior (300 s down window, up max(100 %, 4)). */
export function hpaScaler(bounds: Bounds, targetUtilisation = 0.7): SimScaler {
  let previousCpu = new Map<number, number>();
  let previousTime = 0;
  let recommendations: Recommendation[] = [];
  let events: ScaleEvent[] = [];
  return {
    name: 'hpa-cpu',
    tickSeconds: 15,
    decide(view) {
      const now = view.now * 1000;
      const cpu = view.model.readyPodCpu();
      const utilisations = cpu
        .filter((p) => previousCpu.has(p.id))
        .map((p) => (p.busySeconds - (previousCpu.get(p.id) ?? 0)) / (view.now - previousTime));
      const current = view.model.replicas;
      const raw = hpaReplicas({
        utilisations,
        missing: cpu.length - utilisations.length,
        unready: current - cpu.length,
        target: targetUtilisation,
        tolerance: 0.1,
        current,
      });
      previousCpu = new Map(cpu.map((p) => [p.id, p.busySeconds]));
      previousTime = view.now;
      const stabilized = stabilize(
        recommendations,
        raw,
        current,
        now,
        HPA_BEHAVIOR.scaleUp,
        HPA_BEHAVIOR.scaleDown,
      );
      recommendations = [
        ...recommendations.filter((r) => r.time > now - 300_000),
        { time: now, replicas: raw },
      ];
      const limited = limitRate({
        desired: stabilized,
        current,
        min: bounds.minReplicas,
        max: bounds.maxReplicas,
        events,
        now,
        up: HPA_BEHAVIOR.scaleUp,
        down: HPA_BEHAVIOR.scaleDown,
      });
      events = events.filter((e) => e.time > now - 60_000);
      if (limited.replicas !== current) events.push({ time: now, delta: limited.replicas - current });
      return Promise.resolve({ desired: limited.replicas, mode: 'stable' });
    },
  };
}

/**
 * Knative KPA: 2 s tick, stable = ceil(avg concurrency over 60 s / target), panic = same over 6 s, panic
 * when panic/ready >= 2, in panic never scale down, leave after 60 s below threshold; each step clamped to
 * [ready / 2, ready x 1000] (max scale-down rate 2, max scale-up rate 1000). Target = 70 % of concurrency.
 */
export function kpaScaler(bounds: Bounds, containerConcurrency: number): SimScaler {
  const target = 0.7 * containerConcurrency;
  let panicTime: number | null = null;
  let maxPanicPods = 0;
  return {
    name: 'kpa',
    tickSeconds: 2,
    decide(view) {
      const ready = Math.max(1, view.model.readyReplicas);
      const clamp = (n: number): number =>
        Math.min(Math.max(n, Math.floor(ready / 2)), Math.ceil(ready * 1000));
      const stable = clamp(Math.ceil(view.recorder.averageInflight(60) / target));
      const panic = clamp(Math.ceil(view.recorder.averageInflight(6) / target));
      const overThreshold = view.recorder.averageInflight(6) / target / ready >= 2.0;
      if (overThreshold) panicTime = view.now;
      else if (panicTime !== null && view.now - panicTime >= 60) [panicTime, maxPanicPods] = [null, 0];
      let desired = stable;
      if (panicTime !== null) {
        maxPanicPods = Math.max(maxPanicPods, panic, stable, view.model.replicas);
        desired = maxPanicPods;
      }
      desired = Math.min(Math.max(desired, bounds.minReplicas), bounds.maxReplicas);
      return Promise.resolve({ desired, mode: panicTime === null ? 'stable' : 'panic' });
    },
  };
}
