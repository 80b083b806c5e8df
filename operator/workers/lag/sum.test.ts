import { describe, expect, it } from '@jest/globals';
import { sumLag } from './sum.js';
import type { CommittedOffset, PartitionEnds } from './sum.js';

const ends = (...pairs: [string, string][]): PartitionEnds[] =>
  pairs.map(([low, high], partition) => ({ partition, low, high }));
const committed = (...offsets: string[]): CommittedOffset[] =>
  offsets.map((offset, partition) => ({ partition, offset }));

describe('sumLag', () => {
  it.each([
    {
      name: 'committed on every partition',
      e: ends(['0', '10'], ['0', '7']),
      c: committed('4', '7'),
      lag: 6,
    },
    {
      name: 'never committed: from the start offset',
      e: ends(['0', '10'], ['3', '9']),
      c: committed('-1', '-1'),
      lag: 16,
    },
    { name: 'one committed, one not', e: ends(['0', '10'], ['2', '5']), c: committed('10', '-1'), lag: 3 },
    {
      name: 'below the start (retention): from the start',
      e: ends(['50', '60']),
      c: committed('20'),
      lag: 10,
    },
    {
      name: 'past the end (topic re-created): 0, not negative',
      e: ends(['0', '5']),
      c: committed('900'),
      lag: 0,
    },
    { name: 'an empty topic', e: ends(['0', '0'], ['0', '0']), c: committed('-1', '-1'), lag: 0 },
    { name: 'all consumed', e: ends(['0', '10'], ['0', '20']), c: committed('10', '20'), lag: 0 },
  ])('$name', ({ e, c, lag }) => {
    expect(sumLag(e, c)).toEqual({ ok: true, lag, partitions: e.length });
  });

  it('matches partitions by number, not by position', () => {
    const c: CommittedOffset[] = [
      { partition: 1, offset: '5' },
      { partition: 0, offset: '2' },
    ];
    expect(sumLag(ends(['0', '10'], ['0', '10']), c)).toEqual({ ok: true, lag: 13, partitions: 2 });
  });

  it.each([
    { name: 'no partitions', e: [], c: [] },
    { name: 'a partition the group does not answer for', e: ends(['0', '5'], ['0', '5']), c: committed('1') },
    { name: 'a negative committed offset other than -1', e: ends(['0', '5']), c: committed('-7') },
    { name: 'a committed offset that is not a number', e: ends(['0', '5']), c: committed('abc') },
    { name: 'a negative end offset', e: ends(['0', '-3']), c: committed('0') },
    { name: 'low above high', e: ends(['9', '3']), c: committed('-1') },
    { name: 'an end offset past 2^53', e: ends(['0', '90071992547409930']), c: committed('0') },
    { name: 'a fractional offset', e: ends(['0', '5.5']), c: committed('0') },
    {
      name: 'a sum past 2^53',
      e: ends(['0', '9007199254740990'], ['0', '9007199254740990']),
      c: committed('0', '0'),
    },
    {
      name: 'a partition listed twice',
      e: [
        { partition: 0, low: '0', high: '5' },
        { partition: 0, low: '0', high: '5' },
      ],
      c: committed('0'),
    },
  ])('invalid: $name', ({ e, c }) => {
    const r = sumLag(e, c);
    expect(r.ok).toBe(false);
  });
});
