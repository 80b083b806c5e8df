import { describe, expect, it } from '@jest/globals';
import { serverTurnMs } from './forwarder.js';

describe('serverTurnMs', () => {
  it.each<[string | null, number]>([
    ['turn;dur=1.25', 1.25],
    ['db;dur=3, turn;dur=0.5', 0.5],
    ['turn;dur=abc', 0],
    ['other;dur=9', 0],
    [null, 0],
    ['', 0],
  ])('%j -> %s', (h, ms) => expect(serverTurnMs(h)).toBe(ms));
});
