import { describe, expect, it } from '@jest/globals';
import { normalise, normalisedTooLarge, tokens } from './normalise.js';

describe('normalise', () => {
  it.each([
    ['Where is my ORDER??', 'where is my order'],
    ['  where   is\tmy\norder ', 'where is my order'],
    ['Crème brûlée!', 'creme brulee'],
    ['ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ', 'fullwidth text'],
    ["what's up", 'what s up'],
    ['Größe 42', 'große 42'],
    ['🙂🙂', ''],
    ['', ''],
  ])('%j -> %j', (input, expected) => {
    expect(normalise(input)).toBe(expected);
  });

  it('maps questions that differ only in case, accents and punctuation to one form', () => {
    expect(normalise('Is delivery FREE?')).toBe(normalise('is delivery free'));
    expect(normalise('Café')).toBe(normalise('cafe'));
  });

  it('splits into tokens', () => {
    expect(tokens('a bc d')).toEqual(['a', 'bc', 'd']);
    expect(tokens('')).toEqual([]);
  });

  it('U+FDFA expands 18-fold: 3 UTF-8 bytes become 33', () => {
    expect(normalise('\uFDFA')).toHaveLength(18);
    expect(Buffer.byteLength(normalise('\uFDFA'), 'utf8')).toBe(33);
  });

  it.each([
    // ASCII is left to the raw byte limit: it never grows, so this check never reports it
    ['ASCII over the limit (raw check covers it)', 'where is my order', 16, false],
    ['ASCII at the limit', 'a'.repeat(100), 100, false],
    ['ASCII shrinking under the limit', 'A!'.repeat(60), 100, false],
    ['U+FDFA x 3: 99 bytes once normalised', '\uFDFA'.repeat(3), 98, true],
    ['U+FDFA x 3 under a 99-byte limit', '\uFDFA'.repeat(3), 99, false],
    ['accents removed, so it shrinks', '\u00e9'.repeat(50), 50, false],
    ['fullwidth letters: 3 bytes each become 1', '\uFF41'.repeat(50), 50, false],
  ])('normalisedTooLarge: %s', (_name, text, maxBytes, expected) => {
    expect(normalisedTooLarge(text, maxBytes)).toBe(expected);
  });
});
