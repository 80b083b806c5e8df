/** Aggregates seeded runs into the table of `npm run sim:rollout` and checks the goals of issue 12. */
import type { RolloutInputSpec } from '../core/types.js';
import { SCENARIOS, type Scenario } from './scenarios.js';
import { simulateRollout, type RunResult } from './simulate.js';

export interface ScenarioSummary {
  scenario: Scenario;
  runs: number;
  aborted: number;
  /** Aborted by the analysis within 2 intervals of the canary's minTurns-th turn. */
  caught: number;
  promoted: number;
  rollbackMedian?: number;
  rollbackP95?: number;
  exposureMean: number;
  exposureMax: number;
}

function quantile(sorted: number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

export function summarise(scenario: Scenario, results: RunResult[], spec: RolloutInputSpec): ScenarioSummary {
  const limit = 2 * spec.rollout.analysis.intervalSeconds;
  const aborted = results.filter((r) => r.outcome === 'Aborted');
  const times = aborted
    .flatMap((r) => (r.rollbackSeconds !== undefined ? [r.rollbackSeconds] : []))
    .sort((a, b) => a - b);
  const exposures = results.map((r) => r.exposurePercent);
  const median = quantile(times, 0.5);
  const p95 = quantile(times, 0.95);
  return {
    scenario,
    runs: results.length,
    aborted: aborted.length,
    caught: aborted.filter(
      (r) => r.reason === 'AnalysisFailed' && (r.afterMinTurnsSeconds ?? Infinity) <= limit,
    ).length,
    promoted: results.filter((r) => r.outcome === 'Promoted').length,
    ...(median !== undefined ? { rollbackMedian: median } : {}),
    ...(p95 !== undefined ? { rollbackP95: p95 } : {}),
    exposureMean: exposures.reduce((s, e) => s + e, 0) / Math.max(1, exposures.length),
    exposureMax: Math.max(0, ...exposures),
  };
}

export function simulateAll(spec: RolloutInputSpec, runs: number, seed: number): ScenarioSummary[] {
  return SCENARIOS.map((scenario, s) => {
    const results: RunResult[] = [];
    for (let i = 0; i < runs; i++) results.push(simulateRollout(scenario, spec, seed + 1000 * s + i));
    return summarise(scenario, results, spec);
  });
}

const seconds = (v: number | undefined): string => (v === undefined ? '-' : `${v}`);

export const HEADER = [
  '| scenario | runs | false rollbacks | caught <= 2 intervals after minTurns | time to rollback median / p95 s | exposure mean / max % | promoted |',
  '|---|---:|---:|---:|---:|---:|---:|',
];

export function row(s: ScenarioSummary): string {
  const bad = s.scenario.bad;
  return [
    '',
    s.scenario.name,
    s.runs,
    bad ? '-' : s.aborted,
    bad ? `${s.caught}/${s.runs}` : '-',
    s.aborted > 0 ? `${seconds(s.rollbackMedian)} / ${seconds(s.rollbackP95)}` : '-',
    `${s.exposureMean.toFixed(1)} / ${s.exposureMax.toFixed(1)}`,
    s.promoted,
    '',
  ]
    .join(' | ')
    .trim();
}

/** The goals, each with its measured numbers and met / NOT met. */
export function goals(summaries: ScenarioSummary[], spec: RolloutInputSpec): string[] {
  const firstWeight = spec.rollout.steps.find((s) => s.setWeight !== undefined)?.setWeight ?? 0;
  const check = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  const aa = summaries.filter((s) => !s.scenario.bad && s.scenario.traffic.conversationsPerSecond >= 1);
  const bad = summaries.filter((s) => s.scenario.bad);
  const quiet = summaries.filter((s) => !s.scenario.bad && s.scenario.traffic.conversationsPerSecond < 1);
  const falseRollbacks = aa.reduce((n, s) => n + s.aborted, 0);
  return [
    `- 0 false rollbacks in the A/A runs: ${falseRollbacks} -> ${check(falseRollbacks === 0)}`,
    ...bad.map(
      (s) =>
        `- ${s.scenario.name} caught within 2 intervals after minTurns in >= 95 % of runs: ${s.caught}/${s.runs} -> ${check(s.caught >= 0.95 * s.runs)}`,
    ),
    ...bad.map(
      (s) =>
        `- ${s.scenario.name} exposure <= first step weight ${firstWeight} %: max ${s.exposureMax.toFixed(1)} % -> ${check(s.exposureMax <= firstWeight)}`,
    ),
    ...quiet.map(
      (s) => `- ${s.scenario.name} never promoted: ${s.promoted} promoted -> ${check(s.promoted === 0)}`,
    ),
  ];
}

export function allMet(lines: string[]): boolean {
  return lines.every((l) => l.endsWith('-> met'));
}
