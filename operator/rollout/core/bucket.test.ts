import { describe, expect, it } from '@jest/globals';
import { bucket, fnv1a32, startsOnCanary } from './bucket.js';

describe('fnv1a32', () => {
  // Published FNV-1a 32-bit test vectors (isthe.com/chongo/tech/comp/fnv).
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('%j', (text, hash) => {
    expect(fnv1a32(text)).toBe(hash);
  });

  it('hashes UTF-8 bytes, not UTF-16 code units', () => {
    // "é" is the two bytes c3 a9: ((0x811c9dc5 ^ 0xc3) * p ^ 0xa9) * p mod 2^32, computed by hand below
    const p = 0x01000193;
    const h1 = Number((BigInt((0x811c9dc5 ^ 0xc3) >>> 0) * BigInt(p)) % 2n ** 32n);
    const h2 = Number((BigInt((h1 ^ 0xa9) >>> 0) * BigInt(p)) % 2n ** 32n);
    expect(fnv1a32('é')).toBe(h2);
  });
});

describe('bucket', () => {
  it('is the hash of "fleet:session" mod 10000', () => {
    expect(bucket('shop', 's-1')).toBe(fnv1a32('shop:s-1') % 10000);
    expect(bucket('', 'abc')).toBe(fnv1a32(':abc') % 10000);
  });

  it('splits new conversations at the weight, within 1 point over 20000 ids', () => {
    let canary = 0;
    for (let i = 0; i < 20000; i++) if (startsOnCanary(bucket('fleet', `session-${i}`), 10)) canary++;
    expect(Math.abs(canary / 20000 - 0.1)).toBeLessThan(0.01);
  });

  it.each([
    [999, 10, true],
    [1000, 10, false],
    [0, 0, false],
    [9999, 100, true],
  ])('bucket %d at weight %d -> canary %s', (b, w, expected) => {
    expect(startsOnCanary(b, w)).toBe(expected);
  });
});
