import { describe, expect, it } from '@jest/globals';
import { OffsetTracker } from './offsets.js';

describe('OffsetTracker', () => {
  it.each<[string, string[], string[], (string | undefined)[]]>([
    ['in order: each finish moves the offset', ['5', '6', '7'], ['5', '6', '7'], ['5', '6', '7']],
    [
      'out of order: nothing past an unfinished task',
      ['5', '6', '7'],
      ['7', '6', '5'],
      [undefined, undefined, '7'],
    ],
    [
      'a gap holds the rest back until it closes',
      ['1', '2', '3', '4'],
      ['1', '3', '4', '2'],
      ['1', undefined, undefined, '4'],
    ],
  ])('%s', (_name, offsets, finishOrder, committable) => {
    const t = new OffsetTracker(offsets);
    expect(finishOrder.map((o) => t.finish(o))).toEqual(committable);
  });
});
