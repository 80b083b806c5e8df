/**
 * Test driver of `decide` with an injected clock: a fake fleet whose pods apply routing at once and whose
 * metrics window is produced by a sampler. Used by decide.test.ts (not by production code).
 */
import type { ChatbotDeploymentSpec } from '../../api/generated/chatbotdeployment.js';
import { decide } from './decide.js';
import { targetOf } from './revision.js';
import type {
  RolloutDecision,
  RolloutEvent,
  RolloutInputSpec,
  RolloutObserved,
  RolloutState,
  Target,
  VersionSample,
} from './types.js';
import { simSpec } from '../simulation/scenarios.js';

export const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/** The CRD defaults with failureThreshold 3 (the tests count failed checks), then `patch`. */
export function spec(patch: Partial<RolloutInputSpec['rollout']> = {}): RolloutInputSpec {
  const base = simSpec(3);
  return { ...base, rollout: { ...base.rollout, ...patch } };
}

export function target(version: string, image = 'bot:1', bundleConfigMap?: string): Target {
  const model = { name: 'faq', version, ...(bundleConfigMap !== undefined ? { bundleConfigMap } : {}) };
  return targetOf({ model, runtime: { image } } as Pick<ChatbotDeploymentSpec, 'model' | 'runtime'>);
}

const BOUNDS = [0.05, 0.1, 0.2, 0.3, 0.5, 1, Infinity];

/** `turns` turns, `errors` errors, latency spread like a healthy bot (p95 about 200 ms), or slower. */
export function versionSample(turns: number, errors = 0, fallbacks = 0, slow = false): VersionSample {
  const shares = slow ? [0, 0.1, 0.3, 0.3, 0.2, 0.1, 0] : [0.3, 0.4, 0.25, 0.04, 0.01, 0, 0];
  let cumulative = 0;
  const counts = shares.map((s) => (cumulative += Math.round(s * turns)));
  return {
    turns,
    errors,
    fallbacks,
    latency: { bounds: BOUNDS, counts },
    conversations: Math.round(turns / 4),
  };
}

export type Sampler = (state: RolloutState) => { canary: VersionSample; stable: VersionSample } | undefined;

export const healthy: Sampler = () => ({ canary: versionSample(200), stable: versionSample(1800) });

export class Driver {
  state: RolloutState | undefined;
  decision!: RolloutDecision;
  events: RolloutEvent[] = [];
  time = T0;
  observed: Omit<RolloutObserved, 'analysis' | 'minRoutingGeneration'> & {
    minRoutingGeneration?: number | null;
  };

  constructor(
    public spec: RolloutInputSpec,
    first: Target,
    public sampler: Sampler = healthy,
  ) {
    this.observed = { target: first, fleetReady: true, canaryReady: true, stableUpdated: false };
    this.tick(0);
  }

  /** Advances the clock and calls decide once. Routing is applied by every pod at once unless overridden. */
  tick(seconds: number, patch: Partial<Driver['observed']> = {}): RolloutDecision {
    this.time += seconds * 1000;
    this.observed = { ...this.observed, ...patch };
    const { minRoutingGeneration, ...rest } = this.observed;
    const generation =
      minRoutingGeneration === null ? undefined : (minRoutingGeneration ?? this.decision?.routing.generation);
    const observed: RolloutObserved = {
      ...rest,
      ...(generation !== undefined ? { minRoutingGeneration: generation } : {}),
      ...this.sample(),
    };
    this.decision = decide(this.spec, this.state, observed, new Date(this.time));
    this.state = this.decision.state;
    this.events.push(...this.decision.events);
    return this.decision;
  }

  private sample(): Pick<RolloutObserved, 'analysis'> {
    const window = this.state?.analysisWindowStart;
    const data = this.state !== undefined ? this.sampler(this.state) : undefined;
    if (window === undefined || data === undefined) return {};
    return { analysis: { window, from: window, to: new Date(this.time).toISOString(), ...data } };
  }

  /** Ticks every `step` seconds for `seconds`, or until `until` holds. */
  run(seconds: number, step = 5, until?: (d: RolloutDecision) => boolean): RolloutDecision {
    for (let t = 0; t < seconds; t += step) {
      const decision = this.tick(step);
      if (until !== undefined && until(decision)) break;
    }
    return this.decision;
  }

  reasons(): string[] {
    return this.events.map((e) => e.reason);
  }
}

export const V1 = target('1.0');
export const V2 = target('2.0');
export const V3 = target('3.0');
export const lowTraffic: Sampler = () => ({ canary: versionSample(20), stable: versionSample(180) });
export const erroring: Sampler = () => ({ canary: versionSample(200, 12), stable: versionSample(1800, 9) });

/** A fleet on V1 asked for V2 at T0 + 5 s; after two more ticks every pod routes 10 % to the canary. */
export function started(sampler: Sampler = healthy, patch = {}): Driver {
  const d = new Driver(spec(patch), V1, sampler);
  d.tick(5, { target: V2 });
  d.tick(5);
  d.tick(5);
  return d;
}
