/**
 * `npm run sim:rollout`: seeded rollouts of every scenario (A/A, three bad models, low traffic) through the
 * pure `decide`, printing the table and the goals of issue 12. Writes nothing.
 *
 * Flags: --runs N (100) --seed S (1) --failure-threshold F (1; the table for the CRD default 3 follows
 * unless --no-default)
 */
import { parseArgs } from 'node:util';
import { simSpec } from './scenarios.js';
import { allMet, goals, HEADER, row, simulateAll } from './summary.js';

function options(): { runs: number; seed: number; failureThreshold: number; withDefault: boolean } {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '100' },
      seed: { type: 'string', default: '1' },
      'failure-threshold': { type: 'string', default: '1' },
      'no-default': { type: 'boolean', default: false },
    },
  });
  return {
    runs: Math.max(1, Math.min(10_000, Number(values.runs) || 100)),
    seed: Number(values.seed) || 1,
    failureThreshold: Math.max(1, Math.min(100, Number(values['failure-threshold']) || 1)),
    withDefault: values['no-default'] !== true,
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
const met = table(o.failureThreshold, o.runs, o.seed);
if (o.withDefault && o.failureThreshold !== 3) table(3, o.runs, o.seed);
process.exitCode = met ? 0 : 1;
