import { describe, expect, it } from '@jest/globals';
import {
  BUCKETS,
  SessionIdAllocator,
  assignNew,
  bucketOf,
  fnv1a32,
  needsPin,
  resolvePin,
  type Pin,
} from './assignment.js';
import type { Routing } from './routing.js';

/** An independent FNV-1a 32: BigInt arithmetic instead of Math.imul. */
function fnvBig(text: string): number {
  let h = 0x811c9dc5n;
  for (const b of new TextEncoder().encode(text)) h = ((h ^ BigInt(b)) * 0x01000193n) & 0xffffffffn;
  return Number(h);
}

/**
 * Shared vector table: operator/rollout/core/bucket.ts (the simulation) must give the same
 * buckets. The values were computed independently (Python) and are also recomputed below.
 */
export const BUCKET_VECTORS: [fleetId: string, sessionId: string, hash: number, bucket: number][] = [
  ['', '', 0x3f0cb86d, 8253],
  ['', 'a', 0x4d05bae4, 1156],
  ['shop/bot', '3f2b8c1e-9d4a-4c1b-8f6e-2a7d5e9c0b11', 0xdeef1628, 728],
  ['prod/support', 'sess_0001', 0xd6f995f2, 1074],
  ['ns/fleet', 'ümlaut-ß', 0xb5ecea40, 2560],
  ['', '00000000-0000-0000-0000-000000000000', 0x35640fb9, 73],
];

const routing = (r: Partial<Routing> = {}): Routing => ({
  generation: 1,
  stableVersion: 'v1',
  canaryVersion: 'v2',
  canaryWeight: 10,
  aborted: false,
  ...r,
});

describe('bucketOf (FNV-1a 32 of "<fleetId>:<sessionId>" mod 10000)', () => {
  it('matches the published FNV-1a 32 vectors', () => {
    expect(fnv1a32(Buffer.from('a'))).toBe(0xe40c292c);
    expect(fnv1a32(Buffer.from('foobar'))).toBe(0xbf9cf968);
  });

  it.each(BUCKET_VECTORS)('%j:%j', (fleetId, sessionId, hash, bucket) => {
    expect(fnvBig(`${fleetId}:${sessionId}`)).toBe(hash);
    expect(fnv1a32(Buffer.from(`${fleetId}:${sessionId}`, 'utf8'))).toBe(hash);
    expect(bucketOf(fleetId, sessionId)).toBe(bucket);
  });

  it('agrees with the independent computation over many ids', () => {
    for (let i = 0; i < 2000; i++) {
      const id = `s-${i.toString(36)}-${(i * 7919).toString(16)}`;
      expect(bucketOf('f', id)).toBe(fnvBig(`f:${id}`) % BUCKETS);
    }
  });
});

describe('assignNew', () => {
  // '':'a' is bucket 1156, '':'' is 8253
  it.each([
    ['below the weight: canary', routing({ canaryWeight: 12 }), 'a', 'canary', 'v2'],
    ['at the boundary: stable (bucket < weight*100)', routing({ canaryWeight: 11.56 }), 'a', 'stable', 'v1'],
    ['just above it: canary', routing({ canaryWeight: 11.57 }), 'a', 'canary', 'v2'],
    ['weight 100: canary', routing({ canaryWeight: 100 }), '', 'canary', 'v2'],
    ['weight 0: stable', routing({ canaryWeight: 0 }), 'a', 'stable', 'v1'],
    ['aborted: stable', routing({ canaryWeight: 100, aborted: true }), 'a', 'stable', 'v1'],
    ['no canary: stable', routing({ canaryWeight: 100, canaryVersion: null }), 'a', 'stable', 'v1'],
  ])('%s', (_name, r, sessionId, track, modelVersion) => {
    expect(assignNew(r, '', sessionId)).toEqual({ track, modelVersion });
  });
});

describe('resolvePin', () => {
  const c2: Pin = { track: 'canary', modelVersion: 'v2' };
  const s1: Pin = { track: 'stable', modelVersion: 'v1' };
  it.each<[string, Routing, Pin, Pin, boolean]>([
    ['canary session on an active canary stays', routing(), c2, c2, false],
    ['stable session stays', routing(), s1, s1, false],
    ['abort moves canary sessions to stable', routing({ aborted: true }), c2, s1, true],
    ['abort leaves stable sessions', routing({ aborted: true }), s1, s1, false],
    [
      'after promotion the canary session follows its version to stable',
      routing({ stableVersion: 'v2', canaryVersion: null, canaryWeight: 0 }),
      c2,
      { track: 'stable', modelVersion: 'v2' },
      true,
    ],
    [
      'a version no track serves is re-pinned to stable',
      routing({ stableVersion: 'v3', canaryVersion: 'v4' }),
      s1,
      { track: 'stable', modelVersion: 'v3' },
      true,
    ],
    ['a replaced canary: its sessions go to stable', routing({ canaryVersion: 'v3' }), c2, s1, true],
    [
      'image-only change (same version): the track decides',
      routing({ stableVersion: 'v1', canaryVersion: 'v1' }),
      { track: 'canary', modelVersion: 'v1' },
      { track: 'canary', modelVersion: 'v1' },
      false,
    ],
    [
      'image-only change aborted: canary session to stable',
      routing({ stableVersion: 'v1', canaryVersion: 'v1', aborted: true }),
      { track: 'canary', modelVersion: 'v1' },
      s1,
      true,
    ],
  ])('%s', (_name, r, pin, want, changed) => {
    expect(resolvePin(r, pin)).toEqual({ pin: want, changed });
  });
});

describe('needsPin', () => {
  it.each([
    [routing(), true],
    [routing({ aborted: true }), true],
    [routing({ canaryVersion: null, canaryWeight: 0 }), false],
  ])('%j -> %s', (r, want) => expect(needsPin(r)).toBe(want));
});

describe('SessionIdAllocator', () => {
  function counterIds(): () => string {
    let n = 0;
    return () => `id-${(n++).toString(36)}`;
  }

  it.each([0.5, 1, 10, 25, 50, 75, 99, 99.5])('weight %s: exact share over 1000 new conversations', (w) => {
    const r = routing({ canaryWeight: w });
    const ids = new SessionIdAllocator('fleet', counterIds());
    let canary = 0;
    for (let i = 0; i < 1000; i++) {
      const id = ids.next(r);
      if (assignNew(r, 'fleet', id).track === 'canary') canary += 1;
    }
    // error diffusion: within one conversation of n x weight
    expect(Math.abs(canary - 10 * w)).toBeLessThanOrEqual(1);
  });

  it('hands out plain ids when there is nothing to steer', () => {
    const ids = new SessionIdAllocator('fleet', counterIds());
    expect(ids.next(routing({ canaryWeight: 0 }))).toBe('id-0');
    expect(ids.next(routing({ canaryWeight: 100 }))).toBe('id-1');
    expect(ids.next(routing({ aborted: true }))).toBe('id-2');
  });
});
