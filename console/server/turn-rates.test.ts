import { describe, expect, it } from '@jest/globals';
import { turnCounts, turnRates, type PodCounts } from './turn-rates.js';

const line = (source: string, outcome: string, value: string): string =>
  `chatfleet_turn_duration_seconds_count{model_version="v1",source="${source}",outcome="${outcome}"} ${value}`;

describe('turnCounts', () => {
  it.each<[string, string, Record<string, number>]>([
    [
      'sums a source over its other labels',
      [line('llm', 'ok', '5'), line('llm', 'error', '2')].join('\n'),
      { llm: 7 },
    ],
    [
      'keeps each source',
      [line('intent', 'ok', '3'), line('cache', 'ok', '4'), line('llm', 'ok', '1')].join('\n'),
      { intent: 3, cache: 4, llm: 1 },
    ],
    [
      'ignores other series and comments',
      `# TYPE x counter\nchatfleet_turns_inflight 9\n${line('llm', 'ok', '2')}`,
      { llm: 2 },
    ],
    [
      'ignores negative and infinite counts',
      [line('llm', 'ok', '-4'), line('cache', 'ok', '+Inf')].join('\n'),
      {},
    ],
    ['ignores an over-long source', line('x'.repeat(33), 'ok', '1'), {}],
    ['no series: nothing (never zeros)', 'garbage {{{\n', {}],
    [
      'bounds the number of sources',
      Array.from({ length: 20 }, (_, i) => line(`s${i}`, 'ok', '1')).join('\n'),
      Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`s${i}`, 1])),
    ],
  ])('%s', (_what, text, want) => expect(Object.fromEntries(turnCounts(text))).toEqual(want));
});

const pods = (entries: Record<string, Record<string, number>>): PodCounts =>
  new Map(Object.entries(entries).map(([uid, c]) => [uid, new Map(Object.entries(c))]));

describe('turnRates', () => {
  it.each<[string, PodCounts, PodCounts, number, Record<string, number> | undefined]>([
    [
      'one pod, two sources',
      pods({ a: { llm: 10, cache: 0 } }),
      pods({ a: { llm: 20, cache: 5 } }),
      5,
      { llm: 2, cache: 1 },
    ],
    [
      'sums the pods',
      pods({ a: { llm: 0 }, b: { llm: 10 } }),
      pods({ a: { llm: 5 }, b: { llm: 20 } }),
      5,
      { llm: 3 },
    ],
    [
      'a restarted pod: its new count is the increase',
      pods({ a: { llm: 100 } }),
      pods({ a: { llm: 4 } }),
      2,
      { llm: 2 },
    ],
    [
      'a source new since the last reading counts from 0',
      pods({ a: {} }),
      pods({ a: { fallback: 3 } }),
      3,
      { fallback: 1 },
    ],
    [
      'a new pod has no baseline and adds nothing',
      pods({ a: { llm: 1 } }),
      pods({ a: { llm: 1 }, b: { llm: 50 } }),
      1,
      { llm: 0 },
    ],
    ['no pod read both times: no data', pods({ a: { llm: 1 } }), pods({ b: { llm: 5 } }), 5, undefined],
    ['nothing read now: no data', pods({ a: { llm: 1 } }), pods({}), 5, undefined],
    ['no time between readings: no data', pods({ a: { llm: 1 } }), pods({ a: { llm: 2 } }), 0, undefined],
  ])('%s', (_what, prev, cur, seconds, want) => {
    const got = turnRates(prev, cur, seconds);
    expect(got === undefined ? undefined : Object.fromEntries(got)).toEqual(want);
  });
});
