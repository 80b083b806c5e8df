import { describe, expect, it } from '@jest/globals';
import { WindowCounts, type Step } from './window-counts.js';

const T0 = 1_800_000_000_000 - (1_800_000_000_000 % 60_000); // a window start
const W0 = T0 / 1000;

/** A scripted run: each step is a request (r), a sync answer (s, the Redis total), or a failure (f). */
type Action =
  | { r: string; at: number; mono: number; want: Step['kind']; hits?: number }
  | { s: string; window: number; total: number; mono: number; allowed: boolean }
  | { f: string; window: number; hits: number };

function run(actions: Action[], opts = { perMinute: 5, syncMs: 50, maxIdentities: 100 }): void {
  const c = new WindowCounts(opts);
  actions.forEach((a, i) => {
    if ('r' in a) {
      const step = c.request(a.r, a.at, a.mono);
      expect({ i, kind: step.kind }).toEqual({ i, kind: a.want });
      if (a.hits !== undefined) expect(step).toMatchObject({ hits: a.hits });
    } else if ('s' in a) {
      expect({ i, allowed: c.synced(a.s, a.window, a.total, a.mono) }).toEqual({ i, allowed: a.allowed });
    } else {
      c.failed(a.f, a.window, a.hits);
    }
  });
}

describe('WindowCounts', () => {
  it.each<[string, Action[]]>([
    [
      "a new identity's first request waits for Redis; then requests within syncMs are local",
      [
        { r: 'a', at: T0, mono: 0, want: 'sync', hits: 1 },
        { s: 'a', window: W0, total: 1, mono: 1, allowed: true },
        { r: 'a', at: T0 + 10, mono: 10, want: 'allowed' },
        { r: 'a', at: T0 + 20, mono: 20, want: 'allowed' },
        // past syncMs: the next request carries the two local hits and itself
        { r: 'a', at: T0 + 60, mono: 60, want: 'sync', hits: 3 },
        { s: 'a', window: W0, total: 4, mono: 61, allowed: true },
        { r: 'a', at: T0 + 70, mono: 70, want: 'allowed' }, // 4 known + 1 pending = 5
        { r: 'a', at: T0 + 80, mono: 80, want: 'limited' },
      ],
    ],
    [
      'other pods count: a sync that returns a total over the limit limits at once and after',
      [
        { r: 'a', at: T0, mono: 0, want: 'sync', hits: 1 },
        { s: 'a', window: W0, total: 9, mono: 1, allowed: false },
        { r: 'a', at: T0 + 10, mono: 10, want: 'limited' },
        { r: 'a', at: T0 + 500, mono: 500, want: 'limited' },
      ],
    ],
    [
      'a new window starts from zero',
      [
        { r: 'a', at: T0, mono: 0, want: 'sync' },
        { s: 'a', window: W0, total: 50, mono: 1, allowed: false },
        { r: 'a', at: T0 + 60_000, mono: 60_000, want: 'sync', hits: 1 },
        { s: 'a', window: W0 + 60, total: 1, mono: 60_001, allowed: true },
      ],
    ],
    [
      'while a sync is in flight, requests are counted locally and ride the next sync',
      [
        { r: 'a', at: T0, mono: 0, want: 'sync', hits: 1 },
        { r: 'a', at: T0 + 1, mono: 1, want: 'allowed' },
        { r: 'a', at: T0 + 2, mono: 2, want: 'allowed' },
        { s: 'a', window: W0, total: 1, mono: 100, allowed: true },
        { r: 'a', at: T0 + 200, mono: 200, want: 'sync', hits: 3 },
      ],
    ],
    [
      'a failed sync keeps its hits pending for the next one',
      [
        { r: 'a', at: T0, mono: 0, want: 'sync', hits: 1 },
        { f: 'a', window: W0, hits: 1 },
        { r: 'a', at: T0 + 1, mono: 1, want: 'sync', hits: 2 },
      ],
    ],
    [
      'identities are independent',
      [
        { r: 'a', at: T0, mono: 0, want: 'sync' },
        { s: 'a', window: W0, total: 6, mono: 1, allowed: false },
        { r: 'b', at: T0 + 1, mono: 1, want: 'sync' },
        { s: 'b', window: W0, total: 1, mono: 2, allowed: true },
        { r: 'b', at: T0 + 3, mono: 3, want: 'allowed' },
      ],
    ],
  ])('%s', (_name, actions) => run(actions));

  it('bounds memory: beyond maxIdentities every request of a new identity syncs, nothing is cached', () => {
    const c = new WindowCounts({ perMinute: 5, syncMs: 50, maxIdentities: 2 });
    for (const id of ['a', 'b']) c.synced(id, W0, 1, 0); // unknown entries: ignored
    expect(c.request('a', T0, 0)).toMatchObject({ kind: 'sync' });
    expect(c.request('b', T0, 0)).toMatchObject({ kind: 'sync' });
    for (const id of ['a', 'b']) c.synced(id, W0, 1, 1);
    for (let i = 0; i < 100; i++) expect(c.request(`x${i}`, T0, 0)).toMatchObject({ kind: 'sync', hits: 1 });
    expect(c.size).toBe(2);
    // entries of a past window make room
    expect(c.request('new', T0 + 60_000, 1)).toMatchObject({ kind: 'sync' });
    expect(c.size).toBe(1);
  });
});
