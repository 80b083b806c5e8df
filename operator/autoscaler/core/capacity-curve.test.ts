import { describe, expect, it } from '@jest/globals';
import { addToCurve, kneeOf, MAX_EXTRAPOLATION, MAX_POINTS, type CurvePoint } from './capacity-curve.js';

const AIM = 255;
const T0 = Date.parse('2026-12-02T00:00:00Z');
/** Windows fed in order, one per 15 s. */
const curveOf = (windows: [number, number][]): CurvePoint[] =>
  windows.reduce<CurvePoint[]>((c, [x, y], i) => addToCurve(c, x, y, AIM, T0 + i * 15_000), []);
const shape = (c: CurvePoint[]): [number, number][] =>
  c.map((p) => [Math.round(p.inflightPerPod * 100) / 100, Math.round(p.latencyMs)]);

describe('addToCurve', () => {
  it.each<{ name: string; windows: [number, number][]; want: [number, number][] }>([
    {
      name: 'one bin per window, sorted by in-flight',
      windows: [
        [6, 240],
        [2, 190],
      ],
      want: [
        [2, 190],
        [6, 240],
      ],
    },
    {
      name: 'windows in one bin are smoothed (half weight)',
      windows: [
        [6, 200],
        [6.2, 240],
      ],
      want: [[6.1, 220]],
    },
    {
      name: 'a slow window removes the fast bins above it (the fleet got slower)',
      windows: [
        [2, 190],
        [6.5, 245],
        [4, 400],
      ],
      want: [
        [2, 190],
        [4, 400],
      ],
    },
    {
      name: 'a fast window removes the slow bins below it (the fleet got faster)',
      windows: [
        [4, 400],
        [9, 500],
        [6, 230],
      ],
      want: [
        [6, 230],
        [9, 500],
      ],
    },
  ])('$name', ({ windows, want }) => {
    expect(shape(curveOf(windows))).toEqual(want);
  });

  it(`keeps the ${MAX_POINTS} most recent bins`, () => {
    const windows = Array.from({ length: 20 }, (_, i): [number, number] => [1.2 ** i, 100]);
    const curve = curveOf(windows);
    expect(curve).toHaveLength(MAX_POINTS);
    expect(curve[0]?.inflightPerPod).toBeCloseTo(1.2 ** 8);
    expect(curve.at(-1)?.time).toBe(T0 + 19 * 15_000);
  });
});

describe('kneeOf', () => {
  it.each<{ name: string; windows: [number, number][]; want: number | null }>([
    {
      name: 'interpolated between the highest fast bin and the slow one above it',
      windows: [
        [6, 235],
        [8, 275],
      ],
      want: 7,
    },
    {
      name: 'a far slow bin: the chord is only a lower bound, the fast secant explores past it',
      windows: [
        [2, 195],
        [3, 215],
        [12, 800],
      ],
      want: 3 * MAX_EXTRAPOLATION,
    },
    {
      name: 'a far slow bin and a flat fast curve: the chord',
      windows: [
        [2, 200],
        [3, 195],
        [12, 800],
      ],
      want: 3 + (60 / 605) * 9,
    },
    {
      name: 'fast bins only: the secant',
      windows: [
        [5, 215],
        [6, 235],
      ],
      want: 7,
    },
    {
      name: 'fast bins only: the secant, capped',
      windows: [
        [2, 190],
        [3, 191],
      ],
      want: 3 * MAX_EXTRAPOLATION,
    },
    { name: 'one fast bin: cannot tell', windows: [[6, 235]], want: null },
    {
      name: 'slow bins only: cannot tell',
      windows: [
        [6, 400],
        [9, 500],
      ],
      want: null,
    },
    {
      name: 'latency falling with load (noise): cannot tell',
      windows: [
        [4, 240],
        [6, 230],
      ],
      want: null,
    },
  ])('$name', ({ windows, want }) => {
    const knee = kneeOf(curveOf(windows), AIM);
    if (want === null) expect(knee).toBeNull();
    else expect(knee).toBeCloseTo(want);
  });
});
