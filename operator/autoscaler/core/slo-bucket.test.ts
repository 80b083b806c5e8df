import { describe, expect, it } from '@jest/globals';
import { TURN_BUCKETS } from '../../../bot-runtime/metrics/buckets.js';
import { leLabels, sloBucketBound } from './slo-bucket.js';

describe('sloBucketBound: the runtime bucket that counts a turn as within the target', () => {
  it.each<[string, number, number]>([
    ['a target on a bound is that bound (the default 300 ms)', 0.3, 0.3],
    ['a target between bounds rounds down (250 ms -> 200 ms)', 0.25, 0.2],
    ['just under a bound rounds down', 0.999, 0.75],
    ['a whole second', 1, 1],
    ['above the largest bound: the largest (10 s)', 60, 10],
    ['under the smallest bound: the smallest (5 ms)', 0.001, 0.005],
  ])('%s', (_what, target, bound) => {
    expect(sloBucketBound(target, TURN_BUCKETS)).toBe(bound);
  });

  it('ignores order and non-finite bounds, and refuses an empty histogram', () => {
    expect(sloBucketBound(0.5, [Infinity, 1, 0.4, Number.NaN, 0.1])).toBe(0.4);
    expect(() => sloBucketBound(0.5, [Infinity])).toThrow('no finite bounds');
  });

  it('labels the bound as the runtime exports it and as Prometheus 3 stores it', () => {
    expect(TURN_BUCKETS.flatMap(leLabels)).toContain('0.3');
    expect([leLabels(1), leLabels(0.005), leLabels(2.5), leLabels(10)]).toEqual([
      ['1', '1.0'],
      ['0.005'],
      ['2.5'],
      ['10', '10.0'],
    ]);
  });
});
