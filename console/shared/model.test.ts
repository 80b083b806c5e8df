import { describe, expect, it } from '@jest/globals';
import { formatMs, isDnsLabel, marginOf, scaleMarks, seriesSummary } from './model.js';
import type { FleetEvent } from './model.js';

describe('isDnsLabel', () => {
  it.each([
    ['chat', true],
    ['a-b-1', true],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
    ['', false],
    ['-a', false],
    ['a-', false],
    ['A', false],
    ['a.b', false],
    ['../x', false],
    ['a%2Fb', false],
    [42, false],
    [undefined, false],
  ])('%p → %p', (v, ok) => expect(isDnsLabel(v)).toBe(ok));
});

describe('marginOf: colour level with a word and icon, never colour alone', () => {
  it.each([
    [100, 300, 'ok', 'within target'],
    [240, 300, 'ok', 'within target'],
    [241, 300, 'tight', 'near target'],
    [300, 300, 'tight', 'near target'],
    [301, 300, 'breach', 'over target'],
    [null, 300, 'unknown', 'no data'],
    [100, null, 'unknown', 'no data'],
    [100, 0, 'unknown', 'no data'],
    [Number.NaN, 300, 'unknown', 'no data'],
    [0, 300, 'ok', 'within target'],
  ] as const)('observed %p target %p → %p', (observed, target, level, label) => {
    const m = marginOf(observed, target);
    expect(m.level).toBe(level);
    expect(m.label).toBe(label);
    expect(m.icon).not.toBe('');
  });
});

describe('formatMs', () => {
  it.each([
    [null, 'no data'],
    [Number.NaN, 'no data'],
    [0, '0 ms'],
    [1.234, '1.2 ms'],
    [42.7, '43 ms'],
    [250.4, '250 ms'],
    [9999, '9999 ms'],
    [12_345, '12.3 s'],
  ])('%p → %p', (v, text) => expect(formatMs(v)).toBe(text));
});

describe('seriesSummary', () => {
  it.each([
    [[], 'x: no data'],
    [[[1, null]], 'x: no data'],
    [
      [
        [1, 5],
        [2, null],
        [3, 2],
      ],
      'x: last 2, min 2, max 5 (2 points)',
    ],
  ] as [[number, number | null][], string][])('%j → %p', (points, text) =>
    expect(seriesSummary({ label: 'x', points }, String)).toBe(text),
  );
});

describe('scaleMarks', () => {
  const ev = (reason: string, time: string, note = 'n'): FleetEvent => ({
    uid: `${reason}${time}`,
    namespace: 'ns',
    fleet: 'bot',
    type: 'Normal',
    reason,
    note,
    time,
    count: 1,
  });
  it.each([
    ['none', [], []],
    ['other reasons are not marked', [ev('RolloutStep', '2026-01-01T00:00:10Z')], []],
    ['a bad time is skipped', [ev('ScaledUp', 'yesterday')], []],
    [
      'newest-first Events become oldest-first marks, microseconds accepted',
      [
        ev('ScaledDown', '2026-01-01T00:00:20.500000Z', 'to 1'),
        ev('ScaledUp', '2026-01-01T00:00:10Z', 'to 3'),
      ],
      [
        { t: 1767225610, label: 'ScaledUp (to 3)' },
        { t: 1767225620, label: 'ScaledDown (to 1)' },
      ],
    ],
  ] as [string, FleetEvent[], unknown[]][])('%s', (_what, events, marks) =>
    expect(scaleMarks(events)).toEqual(marks),
  );

  it('keeps the newest 10', () => {
    const events = Array.from({ length: 15 }, (_, i) =>
      ev('ScaledUp', new Date(Date.UTC(2026, 0, 1, 0, 0, 59 - i)).toISOString()),
    );
    const marks = scaleMarks(events);
    expect(marks).toHaveLength(10);
    expect(marks[9]?.t).toBe(Date.UTC(2026, 0, 1, 0, 0, 59) / 1000);
  });
});
