import { describe, expect, it } from '@jest/globals';
import { mannWhitney, newcombeDifference, wilson } from './stats.js';

// Expected values from an independent implementation of the textbook formulas (Python, z = 2.3263478740408408):
// Wilson score bounds, Newcombe method 10, and a rank-based Mann-Whitney with mid-ranks over the expanded values.
describe('wilson', () => {
  it.each([
    [3, 50, 0.017211411843668135, 0.1887352454259812],
    [2, 50, 0.008974015149223372, 0.16087930835995548],
    [0, 100, 0, 0.05134045318381068],
    [50, 100, 0.38670784097761807, 0.6132921590223819],
    [10, 1000, 0.0048757211949830345, 0.020399387018685457],
  ])('%d of %d', (x, n, lower, upper) => {
    const w = wilson(x, n);
    expect(w.lower).toBeCloseTo(lower, 12);
    expect(w.upper).toBeCloseTo(upper, 12);
  });

  it('is uninformative without observations', () => {
    expect(wilson(0, 0)).toEqual({ lower: 0, upper: 1 });
  });
});

describe('newcombeDifference', () => {
  it.each([
    [16, 300, 13, 2700, 0.02510570239578958, 0.08743951946472192],
    [5, 100, 5, 100, -0.08373992584358103, 0.08373992584358103],
    [90, 300, 135, 2700, 0.1914553826442524, 0.31525672650303616],
  ])('%d/%d vs %d/%d', (x1, n1, x2, n2, lower, upper) => {
    const d = newcombeDifference(x1, n1, x2, n2);
    expect(d.lower).toBeCloseTo(lower, 12);
    expect(d.upper).toBeCloseTo(upper, 12);
  });
});

describe('mannWhitney on bucketed samples', () => {
  it.each([
    // values 1,2,3 with counts a = 2,5,3 and b = 6,4,1
    [[2, 5, 3], [6, 4, 1], 77.5, 1.669529968806215],
    // a = 1..5, b = 3..8 (one bucket per value)
    [[1, 1, 1, 1, 1, 0, 0, 0], [0, 0, 1, 1, 1, 1, 1, 1], 4.5, -1.8383188740373877],
  ])('%j vs %j', (a, b, u, z) => {
    const r = mannWhitney(a, b);
    expect(r?.u).toBeCloseTo(u, 12);
    expect(r?.z).toBeCloseTo(z, 12);
  });

  it('has no answer for an empty sample or when every value is tied', () => {
    expect(mannWhitney([0, 0], [3, 1])).toBeNull();
    expect(mannWhitney([4], [7])).toBeNull();
  });
});
