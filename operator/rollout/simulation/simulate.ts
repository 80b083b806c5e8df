/**
 * One seeded rollout: a fleet serving 1.0 is asked for 2.0 after a warm-up, and `decide` drives it, fed the
 * way the component feeds it (window baselines taken when the window changes, routing applied by the pods
 * after a delay, the canary Ready after a start-up time, the stable track rolled 30 s after promotion).
 */
import type { ChatbotDeploymentSpec } from '../../api/generated/chatbotdeployment.js';
import { seededRng, type Rng } from '../../autoscaler/simulation/random.js';
import { decide } from '../core/decide.js';
import { targetOf } from '../core/revision.js';
import type {
  RolloutDecision,
  RolloutInputSpec,
  RolloutObserved,
  Routing,
  VersionSample,
} from '../core/types.js';
import { STABLE, type Scenario } from './scenarios.js';
import { difference, Traffic } from './traffic.js';

export interface RunResult {
  outcome: 'Promoted' | 'Aborted' | 'Paused' | 'Timeout';
  reason: string;
  message?: string;
  /** Seconds from the canary's first turn to the abort. */
  rollbackSeconds?: number;
  /** Seconds from the canary's minTurns-th turn to the abort. */
  afterMinTurnsSeconds?: number;
  /** New conversations that started on the canary, % of all new conversations during the rollout. */
  exposurePercent: number;
}

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const WARMUP_SECONDS = 120;
const MAX_SECONDS = 1800;
const RECONCILE_SECONDS = 5;
const PROMOTION_SECONDS = 30;

const target = (version: string): RolloutObserved['target'] =>
  targetOf({ model: { name: 'faq', version }, runtime: { image: 'bot:1' } } as Pick<
    ChatbotDeploymentSpec,
    'model' | 'runtime'
  >);
const V1 = target('1.0');
const V2 = target('2.0');

interface Window {
  key: string | undefined;
  from: string;
  canary: VersionSample;
  stable: VersionSample;
}

class Run {
  readonly traffic: Traffic;
  decision: RolloutDecision;
  applied: Routing;
  pending: { at: number; routing: Routing }[] = [];
  window: Window | undefined;
  canaryReadyAt: number;
  promotingSince: number | undefined;
  firstCanaryTurn: number | undefined;
  minTurnsAt: number | undefined;
  startCounts = { all: 0, canary: 0 };

  constructor(
    private readonly scenario: Scenario,
    private readonly spec: RolloutInputSpec,
    private readonly rng: Rng,
    seed: number,
  ) {
    this.traffic = new Traffic(rng, `sim-${seed}`, scenario.traffic, (v) =>
      v === '2.0' ? scenario.canary : STABLE,
    );
    const first = { target: V1, fleetReady: true, canaryReady: false, stableUpdated: false };
    this.decision = decide(spec, undefined, first, new Date(T0));
    this.applied = this.decision.routing;
    this.canaryReadyAt = WARMUP_SECONDS + 10 + Math.floor(rng() * 21);
  }

  private observed(second: number): RolloutObserved {
    const state = this.decision.state;
    const w = this.window;
    const analysis =
      state?.canaryVersion !== undefined && w?.key !== undefined
        ? {
            window: w.key,
            from: w.from,
            to: iso(second),
            canary: difference(this.traffic.snapshot(state.canaryVersion), w.canary),
            stable: difference(this.traffic.snapshot(state.stableVersion), w.stable),
          }
        : undefined;
    return {
      target: second >= WARMUP_SECONDS ? V2 : V1,
      fleetReady: true,
      canaryReady: second >= this.canaryReadyAt,
      stableUpdated: this.promotingSince !== undefined && second >= this.promotingSince + PROMOTION_SECONDS,
      minRoutingGeneration: this.applied.generation,
      ...(analysis !== undefined ? { analysis } : {}),
    };
  }

  reconcile(second: number): void {
    const before = this.decision.routing.generation;
    this.decision = decide(
      this.spec,
      this.decision.state,
      this.observed(second),
      new Date(T0 + second * 1000),
    );
    const { state, routing } = this.decision;
    if (routing.generation !== before)
      this.pending.push({ at: second + 1 + Math.floor(this.rng() * 3), routing });
    if (state.phase === 'Promoting') this.promotingSince ??= second;
    if (state.analysisWindowStart !== this.window?.key) this.rebaseline(second, state.analysisWindowStart);
  }

  /** The component takes a new baseline scrape whenever the window changes. */
  private rebaseline(second: number, key: string | undefined): void {
    const s = this.decision.state;
    this.window = {
      key,
      from: iso(second),
      canary: this.traffic.snapshot(s.canaryVersion ?? '2.0'),
      stable: this.traffic.snapshot(s.stableVersion),
    };
  }

  second(second: number): void {
    const due = this.pending.filter((p) => p.at <= second);
    this.pending = this.pending.filter((p) => p.at > second);
    for (const p of due) this.applied = p.routing;
    if (second === WARMUP_SECONDS)
      this.startCounts = { all: this.traffic.newConversations, canary: this.traffic.newOnCanary };
    this.traffic.step(second, this.applied);
    const canaryTurns = this.traffic.snapshot('2.0').turns;
    if (canaryTurns > 0) this.firstCanaryTurn ??= second;
    if (canaryTurns >= this.spec.rollout.analysis.minTurns) this.minTurnsAt ??= second;
    if (second % RECONCILE_SECONDS === 0) this.reconcile(second);
  }

  finished(): RunResult['outcome'] | undefined {
    const { phase, reason } = this.decision.state;
    if (phase === 'Promoted' || phase === 'Aborted') return phase;
    if (phase === 'Paused' && reason === 'AnalysisInconclusive') return 'Paused';
    return undefined;
  }

  result(outcome: RunResult['outcome'], second: number): RunResult {
    const all = this.traffic.newConversations - this.startCounts.all;
    const canary = this.traffic.newOnCanary - this.startCounts.canary;
    const aborted = outcome === 'Aborted';
    return {
      outcome,
      reason: this.decision.state.reason,
      ...(aborted && this.firstCanaryTurn !== undefined
        ? { rollbackSeconds: second - this.firstCanaryTurn }
        : {}),
      ...(aborted && this.minTurnsAt !== undefined ? { afterMinTurnsSeconds: second - this.minTurnsAt } : {}),
      message: this.decision.state.message,
      exposurePercent: all > 0 ? (100 * canary) / all : 0,
    };
  }
}

function iso(second: number): string {
  return new Date(T0 + second * 1000).toISOString();
}

export function simulateRollout(scenario: Scenario, spec: RolloutInputSpec, seed: number): RunResult {
  const run = new Run(scenario, spec, seededRng(seed), seed);
  for (let second = 1; second <= WARMUP_SECONDS + MAX_SECONDS; second++) {
    run.second(second);
    const outcome = second > WARMUP_SECONDS ? run.finished() : undefined;
    if (outcome !== undefined) return run.result(outcome, second);
  }
  return run.result('Timeout', WARMUP_SECONDS + MAX_SECONDS);
}
