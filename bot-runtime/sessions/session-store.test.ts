import { describe, expect, it } from '@jest/globals';
import { decodeTurns, encodeTurn, type NewTurn } from './session-store.js';

const turn = (message: string): NewTurn => ({
  at: '2026-11-28T00:00:00.000Z',
  message,
  reply: 'r',
  intent: 'greet',
  confidence: 1,
  source: 'intent',
  modelVersion: 'v1',
});

describe('decodeTurns', () => {
  it('numbers the newest entries back from the counter', () => {
    const entries = ['a', 'b', 'c'].map((m) => encodeTurn(turn(m)));
    expect(decodeTurns(entries, 7).map((t) => [t.seq, t.message])).toEqual([
      [5, 'a'],
      [6, 'b'],
      [7, 'c'],
    ]);
  });

  it('skips a corrupt entry without shifting the others', () => {
    const entries = [encodeTurn(turn('a')), '{oops', encodeTurn(turn('c'))];
    expect(decodeTurns(entries, 3).map((t) => [t.seq, t.message])).toEqual([
      [1, 'a'],
      [3, 'c'],
    ]);
  });

  it('returns nothing for an empty session', () => {
    expect(decodeTurns([], 0)).toEqual([]);
  });
});
