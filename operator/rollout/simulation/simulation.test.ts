import { describe, expect, it } from '@jest/globals';
import { SCENARIOS, simSpec } from './scenarios.js';
import { simulateRollout } from './simulate.js';
import { goals, simulateAll } from './summary.js';

// A small seeded subset of `npm run sim:rollout` (10 runs per scenario instead of 100): the goals of issue 12
// must hold on it too, and a run must be reproducible from its seed.
describe('rollout simulation', () => {
  const spec = simSpec();

  it('meets the goals on 10 seeded runs per scenario', () => {
    const summaries = simulateAll(spec, 10, 7);
    const [aa, errors, latency, fallback, quiet] = summaries;
    expect(aa?.aborted).toBe(0);
    expect(aa?.promoted).toBe(10);
    for (const bad of [errors, latency, fallback]) {
      expect(bad?.caught).toBeGreaterThanOrEqual(9);
      expect(bad?.promoted).toBe(0);
      expect(bad?.exposureMean).toBeLessThanOrEqual(10);
    }
    expect(quiet?.promoted).toBe(0);
    expect(
      goals(summaries, spec).filter((l) => l.includes('false rollbacks') || l.includes('never promoted')),
    ).toEqual([
      '- 0 false rollbacks in the A/A runs: 0 -> met',
      '- low traffic (equal model) never promoted: 0 promoted -> met',
    ]);
  });

  it('is reproducible from its seed', () => {
    const scenario = SCENARIOS[1]!;
    expect(simulateRollout(scenario, spec, 42)).toEqual(simulateRollout(scenario, spec, 42));
  });

  it('with failureThreshold 3 rolls a bad model back after three failed checks', () => {
    const r = simulateRollout(SCENARIOS[3]!, simSpec(3), 5);
    expect(r).toMatchObject({ outcome: 'Aborted', reason: 'AnalysisFailed' });
    expect(r.message).toContain('3 failed checks');
  });
});
