import { describe, expect, it } from '@jest/globals';
import { endsWithTerm, nextTerm, termDeadline, verdict } from './lease-term.js';
import type { Term, TermEvent } from './lease-term.js';

const timings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

const leading = (renewedAt: number): Term => ({ phase: 'leading', renewedAt });

describe('nextTerm', () => {
  // [name, term, event, expected phase, expected renewedAt (leading) or reason pattern (lost)]
  it.each<[string, Term, TermEvent, Term['phase'], number | RegExp | undefined]>([
    [
      'standby acquires: the term starts at the attempt start',
      { phase: 'standby' },
      { type: 'written', startedAt: 100, at: 400 },
      'leading',
      100,
    ],
    [
      'an acquisition answered after the renew deadline is no term',
      { phase: 'standby' },
      { type: 'written', startedAt: 100, at: 10_100 },
      'standby',
      undefined,
    ],
    [
      'standby stays standby on failures and ticks',
      { phase: 'standby' },
      { type: 'failed', at: 50_000, reason: 'x' },
      'standby',
      undefined,
    ],
    [
      'standby ignores another holder',
      { phase: 'standby' },
      { type: 'superseded', holder: 'b' },
      'standby',
      undefined,
    ],
    [
      'a renewal moves the term to its own start',
      leading(0),
      { type: 'written', startedAt: 2_000, at: 2_050 },
      'leading',
      2_000,
    ],
    [
      'a renewal answered just before the deadline counts',
      leading(0),
      { type: 'written', startedAt: 9_000, at: 9_999 },
      'leading',
      9_000,
    ],
    [
      'a renewal answered at the deadline does not: lost',
      leading(0),
      { type: 'written', startedAt: 9_000, at: 10_000 },
      'lost',
      /renew deadline \(10000 ms\)/,
    ],
    [
      'a failure within the deadline keeps the term',
      leading(0),
      { type: 'failed', at: 9_999, reason: 'timeout' },
      'leading',
      0,
    ],
    [
      'a failure at the deadline loses it, naming the error',
      leading(0),
      { type: 'failed', at: 10_000, reason: 'ECONNREFUSED' },
      'lost',
      /last error: ECONNREFUSED/,
    ],
    [
      'a tick past the deadline (process paused, loop blocked) loses it',
      leading(0),
      { type: 'tick', at: 60_000 },
      'lost',
      /renew deadline/,
    ],
    ['a tick within the deadline keeps it', leading(0), { type: 'tick', at: 5_000 }, 'leading', 0],
    [
      'another holder ends the term at once',
      leading(0),
      { type: 'superseded', holder: 'op-b' },
      'lost',
      /held by op-b/,
    ],
    ['stopping ends the term', leading(0), { type: 'stopped' }, 'stopped', undefined],
    [
      'lost is final: a late success changes nothing',
      { phase: 'lost', reason: 'r' },
      { type: 'written', startedAt: 1, at: 2 },
      'lost',
      /^r$/,
    ],
    [
      'stopped is final',
      { phase: 'stopped' },
      { type: 'written', startedAt: 1, at: 2 },
      'stopped',
      undefined,
    ],
  ])('%s', (_name, term, event, phase, detail) => {
    const next = nextTerm(term, event, timings);
    expect(next.phase).toBe(phase);
    if (next.phase === 'leading') expect(next.renewedAt).toBe(detail);
    if (next.phase === 'lost') expect(next.reason).toMatch(detail as RegExp);
  });
});

describe('verdict (the write fence)', () => {
  it.each<[string, Term, number, RegExp | undefined]>([
    ['standby never writes', { phase: 'standby' }, 0, /not the leader/],
    ['a fresh term writes', leading(1_000), 1_000, undefined],
    ['just before the renew deadline writes', leading(1_000), 10_999, undefined],
    [
      'at the renew deadline (5 s before the lease could be taken) stops',
      leading(1_000),
      11_000,
      /renewed 10000 ms ago/,
    ],
    ['after a pause of minutes stops', leading(1_000), 300_000, /renewed/],
    [
      'lost never writes',
      { phase: 'lost', reason: 'the lease is held by b' },
      0,
      /leadership lost: the lease is held by b/,
    ],
    ['stopped never writes', { phase: 'stopped' }, 0, /stopped/],
  ])('%s', (_name, term, now, refusal) => {
    const v = verdict(term, now, timings);
    if (refusal) expect(v).toMatch(refusal);
    else expect(v).toBeUndefined();
  });

  it('closes strictly before the lease duration since the renewal start, for any valid timings', () => {
    for (const t of [timings, { leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 1000 }]) {
      expect(termDeadline(0, t)).toBeLessThan(t.leaseDurationMs);
      expect(verdict(leading(0), t.leaseDurationMs - 1, t)).toBeDefined();
    }
  });
});

describe('the invariant over random histories', () => {
  /** A small deterministic PRNG (mulberry32), so a failure replays. */
  function rng(seed: number): () => number {
    let a = seed;
    return () => {
      a = (a + 0x6d2b79f5) | 0;
      let x = Math.imul(a ^ (a >>> 15), 1 | a);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
  }

  it('never allows a write once leaseDuration could have passed since the last successful write started', () => {
    const t = { leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 1000 };
    for (let seed = 1; seed <= 200; seed++) {
      const rand = rng(seed);
      let term: Term = { phase: 'standby' };
      let now = 0;
      /** Start of the last attempt the server accepted: a standby may see it no earlier. */
      let lastAcceptedStart: number | undefined;
      for (let step = 0; step < 300; step++) {
        now += Math.floor(rand() * (rand() < 0.05 ? 20_000 : 1_500)); // sometimes a long pause
        const roll = rand();
        let e: TermEvent;
        if (roll < 0.5) {
          const startedAt = now - Math.floor(rand() * 2_000);
          // The server accepts only attempts it can see; a write may also be accepted after our deadline.
          lastAcceptedStart = Math.max(lastAcceptedStart ?? startedAt, startedAt);
          e = { type: 'written', startedAt, at: now };
        } else if (roll < 0.8) e = { type: 'failed', at: now, reason: 'x' };
        else if (roll < 0.99) e = { type: 'tick', at: now };
        else e = { type: 'superseded', holder: 'b' };
        term = nextTerm(term, e, t);
        for (const probe of [now, now + Math.floor(rand() * 5_000)]) {
          if (verdict(term, probe, t) !== undefined) continue;
          expect(term.phase).toBe('leading');
          expect(lastAcceptedStart).toBeDefined();
          expect(probe - (lastAcceptedStart ?? 0)).toBeLessThan(t.leaseDurationMs);
        }
      }
    }
  });
});

describe('endsWithTerm', () => {
  it('passes results and errors through while the term lasts', async () => {
    const ac = new AbortController();
    await expect(endsWithTerm(async (n: number) => n * 2, ac.signal)(21)).resolves.toBe(42);
    await expect(endsWithTerm(() => Promise.reject(new Error('boom')), ac.signal)(0)).rejects.toThrow('boom');
  });

  it('ends an in-flight call the moment the term ends, with its reason', async () => {
    const ac = new AbortController();
    let finished = false;
    const never = new Promise<void>(() => {
      // never settles, like a network call without a deadline
    }).then(() => {
      finished = true;
    });
    const call = endsWithTerm(() => never, ac.signal)(undefined);
    ac.abort(new Error('leadership lost'));
    await expect(call).rejects.toThrow('leadership lost');
    expect(finished).toBe(false);
  });

  it('does not start a call once the term ended', async () => {
    const ac = new AbortController();
    ac.abort(new Error('leadership lost'));
    let called = false;
    const fn = async (): Promise<void> => {
      called = true;
    };
    await expect(endsWithTerm(fn, ac.signal)(undefined)).rejects.toThrow('leadership lost');
    expect(called).toBe(false);
  });
});
