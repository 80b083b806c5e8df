import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { RolloutPhase, RolloutState, Verdict } from './core/types.js';

/** The rollout's operator metrics (issue 12), on the operator's injected registry. */
export interface RolloutMetrics {
  phase: Gauge<'namespace' | 'name' | 'phase'>;
  canaryWeight: Gauge<'namespace' | 'name'>;
  analyses: Counter<'namespace' | 'name' | 'verdict'>;
  rollouts: Counter<'namespace' | 'name' | 'result'>;
}

export const PHASES: readonly RolloutPhase[] = [
  'Idle',
  'Progressing',
  'Paused',
  'Promoting',
  'Promoted',
  'Aborted',
];

export function registerRolloutMetrics(registry: Registry): RolloutMetrics {
  const registers = [registry];
  return {
    phase: new Gauge({
      name: 'chatfleet_rollout_phase',
      help: 'Rollout phase of a fleet: 1 for the current phase, 0 for the others.',
      labelNames: ['namespace', 'name', 'phase'],
      registers,
    }),
    canaryWeight: new Gauge({
      name: 'chatfleet_rollout_canary_weight',
      help: 'Percent of new conversations routed to the canary.',
      labelNames: ['namespace', 'name'],
      registers,
    }),
    analyses: new Counter({
      name: 'chatfleet_rollout_analysis_total',
      help: 'Analysis checks by overall verdict (Fail if any metric failed, else Inconclusive if any was, else Pass).',
      labelNames: ['namespace', 'name', 'verdict'],
      registers,
    }),
    rollouts: new Counter({
      name: 'chatfleet_rollouts_total',
      help: 'Rollouts finished, by result (promoted, aborted).',
      labelNames: ['namespace', 'name', 'result'],
      registers,
    }),
  };
}

export function overallVerdict(state: RolloutState): Verdict | undefined {
  const verdicts = state.lastAnalysis.map((a) => a.verdict);
  if (verdicts.length === 0) return undefined;
  if (verdicts.includes('Fail')) return 'Fail';
  return verdicts.includes('Inconclusive') ? 'Inconclusive' : 'Pass';
}

/** Records one reconcile's outcome; counters move only on a change from the state already persisted. */
export function observeRollout(
  m: RolloutMetrics,
  fleet: { namespace: string; name: string },
  before: RolloutState | undefined,
  after: RolloutState,
): void {
  for (const p of PHASES) m.phase.set({ ...fleet, phase: p }, p === after.phase ? 1 : 0);
  m.canaryWeight.set(fleet, after.canaryWeight);
  const verdict = overallVerdict(after);
  if (verdict && after.lastAnalysisAt && after.lastAnalysisAt !== before?.lastAnalysisAt) {
    m.analyses.inc({ ...fleet, verdict });
  }
  if (before && before.phase !== after.phase) {
    if (after.phase === 'Promoted') m.rollouts.inc({ ...fleet, result: 'promoted' });
    if (after.phase === 'Aborted') m.rollouts.inc({ ...fleet, result: 'aborted' });
  }
}

export function forgetRolloutMetrics(m: RolloutMetrics, fleet: { namespace: string; name: string }): void {
  for (const p of PHASES) m.phase.remove({ ...fleet, phase: p });
  m.canaryWeight.remove(fleet);
  for (const verdict of ['Pass', 'Fail', 'Inconclusive']) m.analyses.remove({ ...fleet, verdict });
  for (const result of ['promoted', 'aborted']) m.rollouts.remove({ ...fleet, result });
}
