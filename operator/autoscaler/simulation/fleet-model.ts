import { exponential, poisson, seededRng, type Rng } from './random.js';

/**
 * Discrete-time model of a bot fleet. Each turn first waits on I/O (the LLM or cache call: no CPU), then
 * needs CPU work; a pod has one core shared by its CPU-phase turns (processor sharing), so latency rises
 * steeply as the per-pod load approaches the service rate. A pod accepts at most `maxInflight` turns and
 * sheds the rest (503), like the bot runtime. New pods start after a random delay in [startupMin, startupMax].
 */
export interface FleetModelParams {
  /** Mean CPU seconds per turn (1 / per-pod service rate). */
  cpuSecondsPerTurn: number;
  /** I/O wait per turn: fixed part + exponential part (seconds). */
  ioFixedSeconds: number;
  ioExpMeanSeconds: number;
  maxInflight: number;
  /**
   * Share of turns answered from a cache: they skip the I/O wait (cacheHitIoSeconds instead) but still
   * need their CPU work. 0: none (no random draw, so the other traces keep their streams).
   */
  cacheHitRatio?: number;
  cacheHitIoSeconds?: number;
  /** Multiplies every turn's CPU work from the given time on (a model whose per-turn cost changes). */
  cpuCostFactor?: (time: number) => number;
  startupMinSeconds: number;
  startupMaxSeconds: number;
  initialReplicas: number;
  seed: number;
}

export const DEFAULT_MODEL: FleetModelParams = {
  cpuSecondsPerTurn: 0.01,
  ioFixedSeconds: 0.06,
  ioExpMeanSeconds: 0.03,
  maxInflight: 64,
  startupMinSeconds: 20,
  startupMaxSeconds: 60,
  initialReplicas: 4,
  seed: 42,
};

interface Job {
  start: number;
  ioEnd: number;
  cpuLeft: number;
}

interface Pod {
  id: number;
  readyAt: number;
  jobs: Job[];
  busySeconds: number;
  draining: boolean;
}

/** What happened during one step, for the metrics recorders. */
export interface StepOutcome {
  latencies: number[];
  shed: number;
}

export class FleetModel {
  private pods: Pod[] = [];
  private readonly arrivals: Rng;
  private readonly service: Rng;
  private readonly startup: Rng;
  private readonly cache: Rng;
  private nextPod = 0;
  time = 0;

  constructor(private readonly p: FleetModelParams) {
    this.arrivals = seededRng(p.seed);
    this.service = seededRng(p.seed + 1);
    this.startup = seededRng(p.seed + 2);
    this.cache = seededRng(p.seed + 3);
    for (let i = 0; i < p.initialReplicas; i++) this.pods.push(this.newPod(0));
  }

  /** Pods that count toward spec.replicas (starting + ready, not draining). */
  get replicas(): number {
    return this.pods.filter((p) => !p.draining).length;
  }

  get readyReplicas(): number {
    return this.pods.filter((p) => !p.draining && p.readyAt <= this.time).length;
  }

  /** Every pod that exists (costs money), draining ones included. */
  get podsAlive(): number {
    return this.pods.length;
  }

  /** In-flight turns on ready pods (what /metrics gauges report). */
  inflight(): number {
    return this.readyPods().reduce((sum, p) => sum + p.jobs.length, 0);
  }

  /** Cumulative CPU-busy seconds of each ready pod (HPA's utilisation input, like cAdvisor counters). */
  readyPodCpu(): { id: number; busySeconds: number }[] {
    return this.readyPods().map((p) => ({ id: p.id, busySeconds: p.busySeconds }));
  }

  private readyPods(): Pod[] {
    return this.pods.filter((p) => !p.draining && p.readyAt <= this.time);
  }

  /** Scale to `n`: new pods start after the startup delay; removal takes starting pods first, then idlest. */
  setReplicas(n: number): void {
    const active = this.pods.filter((p) => !p.draining);
    for (let i = active.length; i < n; i++) this.pods.push(this.newPod(this.time + this.startupDelay()));
    if (n >= active.length) return;
    const victims = [...active]
      .sort(
        (a, b) =>
          Number(b.readyAt > this.time) - Number(a.readyAt > this.time) || a.jobs.length - b.jobs.length,
      )
      .slice(0, active.length - n);
    for (const v of victims) v.draining = true;
    this.pods = this.pods.filter((p) => !(p.draining && p.jobs.length === 0));
  }

  step(rate: number, dt: number): StepOutcome {
    const outcome: StepOutcome = { latencies: [], shed: 0 };
    this.admit(poisson(this.arrivals, rate * dt), dt, outcome);
    for (const pod of this.pods) this.process(pod, dt, outcome.latencies);
    this.pods = this.pods.filter((p) => !(p.draining && p.jobs.length === 0));
    this.time += dt;
    return outcome;
  }

  private admit(count: number, dt: number, outcome: StepOutcome): void {
    const ready = this.readyPods();
    for (let i = 0; i < count; i++) {
      // Arrivals are spread over the step; a random pod, like kube-proxy's iptables mode.
      const start = this.time + (i / count) * dt;
      const pod = ready[Math.floor(this.arrivals() * ready.length)];
      const io = this.ioSeconds(exponential(this.service, this.p.ioExpMeanSeconds));
      const cpu = exponential(this.service, this.p.cpuSecondsPerTurn) * (this.p.cpuCostFactor?.(start) ?? 1);
      if (pod === undefined || pod.jobs.length >= this.p.maxInflight) outcome.shed++;
      else pod.jobs.push({ start, ioEnd: start + io, cpuLeft: cpu });
    }
  }

  private process(pod: Pod, dt: number, latencies: number[]): void {
    const cpuJobs = pod.jobs.filter((j) => j.ioEnd <= this.time);
    if (cpuJobs.length === 0) return;
    pod.busySeconds += dt;
    const share = dt / cpuJobs.length;
    let done = false;
    for (const job of cpuJobs) {
      if (job.cpuLeft > share) {
        job.cpuLeft -= share;
        continue;
      }
      latencies.push(this.time + (job.cpuLeft / share) * dt - job.start);
      job.cpuLeft = -1;
      done = true;
    }
    if (done) pod.jobs = pod.jobs.filter((j) => j.cpuLeft >= 0);
  }

  private ioSeconds(expPart: number): number {
    const hitRatio = this.p.cacheHitRatio ?? 0;
    if (hitRatio > 0 && this.cache() < hitRatio) return this.p.cacheHitIoSeconds ?? 0;
    return this.p.ioFixedSeconds + expPart;
  }

  private newPod(readyAt: number): Pod {
    return { id: this.nextPod++, readyAt, jobs: [], busySeconds: 0, draining: false };
  }

  private startupDelay(): number {
    const { startupMinSeconds: lo, startupMaxSeconds: hi } = this.p;
    return lo + this.startup() * (hi - lo);
  }
}
