/**
 * `npm run sim:rollout`: seeded rollouts of every scenario (A/A, three bad models, low traffic) through the
 * pure `decide`, printing the table and the goals of issue 12. Writes nothing.
 *
 * Flags: --runs N (100) --seed S (1) --failure-threshold F (the CRD default, 1). Exit code 1 when a goal
 * is not met. Run i of scenario s uses seed S + 1000 s + i, so seeds 1 and 501 are disjoint sets of runs.
 */
import { parseArgs } from 'node:util';
import { CRD_FAILURE_THRESHOLD, simSpec } from './scenarios.js';
import { allMet, goals, HEADER, row, simulateAll } from './summary.js';

function options(): { runs: number; seed: number; failureThreshold: number } {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '100' },
      seed: { type: 'string', default: '1' },
      'failure-threshold': { type: 'string', default: String(CRD_FAILURE_THRESHOLD) },
    },
  });
  return {
    runs: Math.max(1, Math.min(10_000, Number(values.runs) || 100)),
    seed: Number(values.seed) || 1,
    failureThreshold: Math.max(1, Math.min(100, Number(values['failure-threshold']) || 1)),
  };
}

function table(failureThreshold: number, runs: number, seed: number): boolean {
  const spec = simSpec(failureThreshold);
  const started = Date.now();
  const summaries = simulateAll(spec, runs, seed);
  console.log(
    `\nfailureThreshold ${failureThreshold} (steps 10/25/50 % with 60 s pauses, interval 30 s, minTurns 50), seed ${seed}:\n`,
  );
  for (const line of [...HEADER, ...summaries.map(row)]) console.log(line);
  const lines = goals(summaries, spec);
  console.log(`\nGoals:\n${lines.join('\n')}\n(${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return allMet(lines);
}

const o = options();
process.exitCode = table(o.failureThreshold, o.runs, o.seed) ? 0 : 1;
