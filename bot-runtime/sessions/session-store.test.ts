import { describe, expect, it } from '@jest/globals';
import { decodeTurns, encodeTurn, historyReply, type NewTurn } from './session-store.js';

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

describe('historyReply', () => {
  it('reads the counter and the entries of the history script', () => {
    expect(historyReply(['7', ['a', 'b'], null, null])).toEqual({ counter: 7, entries: ['a', 'b'] });
    expect(historyReply([null, [], null, null])).toEqual({ counter: 0, entries: [] });
  });

  it('reads the pin with the history', () => {
    expect(historyReply(['1', ['a'], 'canary', 'v2'])).toEqual({
      counter: 1,
      entries: ['a'],
      pin: { track: 'canary', modelVersion: 'v2' },
    });
  });

  it('says "not the caller\'s session" as null', () => {
    expect(historyReply(null)).toBeNull();
  });

  it.each([
    [
      'another command reply',
      [
        [null, 79],
        [null, 75],
      ],
    ],
    ['a number', 3],
    ['entries that are not strings', ['1', [1, 2]]],
    ['a missing list', ['1']],
  ])('rejects %s instead of returning a garbled history', (_what, reply) => {
    expect(() => historyReply(reply)).toThrow(/unexpected reply to the session history script/);
  });
});
