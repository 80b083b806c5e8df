import type { FleetSeries, FleetSummary, Series } from '../shared/model.js';

/**
 * Without Prometheus the console samples each fleet's status (status.autoscaling.observedLatencyMs,
 * desiredReplicas, readyReplicas) itself, so the charts start when the console starts. A missing
 * value is stored as null ("no data"), never as 0. Bounded: `maxPoints` samples per fleet.
 */
interface Sample {
  t: number;
  observedMs: number | null;
  targetMs: number | null;
  desired: number | null;
  ready: number | null;
}

export class StatusHistory {
  private readonly byFleet = new Map<string, Sample[]>();

  constructor(
    private readonly maxPoints = 360,
    private readonly maxFleets = 2000,
  ) {}

  record(f: FleetSummary, nowMs: number): void {
    const key = `${f.namespace}/${f.name}`;
    let samples = this.byFleet.get(key);
    if (!samples) {
      if (this.byFleet.size >= this.maxFleets) return;
      samples = [];
      this.byFleet.set(key, samples);
    }
    const t = Math.floor(nowMs / 1000);
    const s: Sample = {
      t,
      observedMs: f.observedLatencyMs,
      targetMs: f.sloTargetMs,
      desired: f.desiredReplicas,
      ready: f.readyReplicas,
    };
    const last = samples[samples.length - 1];
    if (last && last.t === t) samples[samples.length - 1] = s;
    else samples.push(s);
    if (samples.length > this.maxPoints) samples.splice(0, samples.length - this.maxPoints);
  }

  forget(namespace: string, name: string): void {
    this.byFleet.delete(`${namespace}/${name}`);
  }

  series(namespace: string, name: string): FleetSeries {
    const samples = this.byFleet.get(`${namespace}/${name}`) ?? [];
    const line = (label: string, pick: (s: Sample) => number | null): Series => ({
      label,
      points: samples.map((s) => [s.t, pick(s)]),
    });
    return {
      source: 'status',
      latency: [line('observed', (s) => s.observedMs), line('target', (s) => s.targetMs)],
      replicas: [line('desired', (s) => s.desired), line('ready', (s) => s.ready)],
      // Turns by source are only in the pods' metrics: without Prometheus there is no data.
      turns: [],
    };
  }
}
