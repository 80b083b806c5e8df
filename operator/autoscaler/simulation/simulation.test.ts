import { describe, expect, it } from '@jest/globals';
import { BASE_RATE, BOUNDS, scalers, simConfig } from './scenario.js';
import { hpaReplicas } from './scalers.js';
import { simulate } from './simulate.js';
import { allTraces } from './traces.js';

// Short versions of every trace (time scale 0.1: 2-3 minutes each), every scaler, seeded, coarse step.
const traces = allTraces({ base: BASE_RATE, timeScale: 0.1, seed: 3 });
const config = {
  ...simConfig({ seed: 3, startupMinSeconds: 5, startupMaxSeconds: 15 }),
  dt: 0.1,
  seriesEverySeconds: 5,
};
const cases = traces.flatMap((trace) =>
  scalers(trace).map((spec) => ({
    trace: trace.name,
    scaler: spec.name,
    run: () => simulate(trace, spec.make(), config),
  })),
);

describe('simulation invariants (short traces)', () => {
  it.each(cases)('$trace / $scaler: replicas within bounds, no scale-down in panic', async ({ run }) => {
    const r = await run();
    expect(r.outOfBounds).toBe(0);
    expect(r.scaleDownInPanic).toBe(0);
    for (const p of r.series) {
      expect(p.replicas).toBeGreaterThanOrEqual(BOUNDS.minReplicas);
      expect(p.replicas).toBeLessThanOrEqual(BOUNDS.maxReplicas);
    }
    expect(r.totalTurns).toBeGreaterThan(0);
  });

  it('is reproducible: the same seed gives the same result', async () => {
    const trace = traces.find((t) => t.name === 'flash-spike')!;
    const make = scalers().find((s) => s.name === 'ours-default')!.make;
    const a = await simulate(trace, make(), config);
    const b = await simulate(trace, make(), config);
    expect(b.sloViolationSeconds).toBe(a.sloViolationSeconds);
    expect(b.replicaSeconds).toBe(a.replicaSeconds);
    expect(b.scaleEvents).toBe(a.scaleEvents);
  });

  it.each(['ours-default', 'ours-tuned'])(
    'the flash spike makes %s scale up to panic-sized counts',
    async (name) => {
      const trace = traces.find((t) => t.name === 'flash-spike')!;
      const r = await simulate(
        trace,
        scalers()
          .find((s) => s.name === name)!
          .make(),
        config,
      );
      const before = r.series.find((p) => p.t >= 40)!.replicas;
      const peak = Math.max(...r.series.map((p) => p.replicas));
      expect(peak).toBeGreaterThanOrEqual(before * 4);
    },
  );
});

describe('HPA baseline replica calculation', () => {
  it.each([
    { name: 'within tolerance holds', u: [0.74, 0.76], missing: 0, unready: 0, want: 2 },
    { name: 'plain ratio', u: [1, 1], missing: 0, unready: 0, want: 3 },
    {
      name: 'unready pods count as 0 % on scale-up: 4 pods hold',
      u: [1, 1],
      missing: 0,
      unready: 2,
      want: 4,
    },
    {
      name: 'unready pods at 0 % still scale up when hot enough',
      u: [1, 1, 1, 1],
      missing: 0,
      unready: 1,
      want: 6,
    },
    { name: 'missing pods count as 100 % on scale-down', u: [0.35, 0.35], missing: 2, unready: 0, want: 3 },
  ])('$name', ({ u, missing, unready, want }) => {
    expect(
      hpaReplicas({
        utilisations: u,
        missing,
        unready,
        target: 0.7,
        tolerance: 0.1,
        current: u.length + unready,
      }),
    ).toBe(want);
  });
});
