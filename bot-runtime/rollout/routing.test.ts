import { describe, expect, it } from '@jest/globals';
import { ROUTING_MAX_BYTES, parseRouting } from './routing.js';

const good = {
  generation: 3,
  stableVersion: '2026.11.0',
  canaryVersion: '2026.12.0',
  canaryWeight: 25,
  aborted: false,
};

describe('parseRouting', () => {
  it('accepts the contract object (extra fields ignored)', () => {
    expect(parseRouting(JSON.stringify({ ...good, extra: 1 }))).toEqual({ ok: true, routing: good });
    expect(parseRouting(JSON.stringify({ ...good, canaryVersion: null, canaryWeight: 0 }))).toMatchObject({
      ok: true,
      routing: { canaryVersion: null },
    });
  });

  it.each<[string, string, RegExp]>([
    ['too large', JSON.stringify({ ...good, pad: 'x'.repeat(ROUTING_MAX_BYTES) }), /larger than 4096/],
    ['not JSON', '{generation: 1', /not valid JSON/],
    ['an array', '[]', /schema/],
    ['null', 'null', /schema/],
    ['no generation', JSON.stringify({ ...good, generation: undefined }), /schema/],
    ['negative generation', JSON.stringify({ ...good, generation: -1 }), /generation/],
    ['fractional generation', JSON.stringify({ ...good, generation: 1.5 }), /generation/],
    ['weight above 100', JSON.stringify({ ...good, canaryWeight: 101 }), /canaryWeight/],
    ['weight as a string', JSON.stringify({ ...good, canaryWeight: '10' }), /canaryWeight/],
    ['aborted as a string', JSON.stringify({ ...good, aborted: 'false' }), /aborted/],
    ['empty stable version', JSON.stringify({ ...good, stableVersion: '' }), /stableVersion/],
    ['version with a slash', JSON.stringify({ ...good, canaryVersion: 'a/b' }), /canaryVersion/],
    ['missing canaryVersion', JSON.stringify({ ...good, canaryVersion: undefined }), /schema/],
  ])('refuses %s', (_name, text, reason) => {
    const parsed = parseRouting(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });
});
