import { describe, expect, it } from '@jest/globals';
import { normalise, tokens } from './normalise.js';

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
});
