import { describe, expect, it } from '@jest/globals';
import { DEFAULT_TOPIC_DELETION_TIMEOUT_MS, deletionTiming } from './deletion.js';

describe('deletionTiming (injected clock)', () => {
  const deleted = '2026-03-01T10:00:00Z';
  const at = (seconds: number) => new Date(Date.parse(deleted) + seconds * 1000);
  // seconds since deletionTimestamp, timeout s, give up, retry after s
  const table: [number, number, boolean, number][] = [
    [0, 300, false, 5],
    [3, 300, false, 5],
    [20, 300, false, 20],
    [200, 300, false, 60],
    [280, 300, false, 20], // never past the bound
    [299.5, 300, false, 0.5],
    [300, 300, true, 0],
    [4000, 300, true, 0],
    [0, 0, true, 0], // a zero bound gives up after the first failed attempt
    [4, 10, false, 5],
    [9, 10, false, 1],
  ];
  it.each(table)(
    '%s s after deletion with a %s s bound: give up %s, retry in %s s',
    (t, bound, giveUp, retry) => {
      const r = deletionTiming(deleted, at(t), bound * 1000);
      expect(r.giveUp).toBe(giveUp);
      if (!giveUp) expect(r.retryAfterMs).toBeCloseTo(retry * 1000, 5);
    },
  );

  it('accepts a Date (client-node types deletionTimestamp so)', () => {
    expect(deletionTiming(new Date(deleted), at(301), DEFAULT_TOPIC_DELETION_TIMEOUT_MS).giveUp).toBe(true);
  });

  it('a clock behind the API server counts as no time elapsed, not as negative', () => {
    expect(deletionTiming(deleted, at(-30), 300_000)).toMatchObject({
      giveUp: false,
      retryAfterMs: 5000,
      elapsedMs: 0,
    });
  });

  it('a missing or unparsable deletionTimestamp gives up rather than retrying forever', () => {
    expect(deletionTiming(undefined, at(0), 300_000).giveUp).toBe(true);
    expect(deletionTiming('yesterday', at(0), 300_000).giveUp).toBe(true);
  });

  it('defaults to 5 minutes', () => {
    expect(DEFAULT_TOPIC_DELETION_TIMEOUT_MS).toBe(300_000);
  });
});
