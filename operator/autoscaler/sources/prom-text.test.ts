import { describe, expect, it } from '@jest/globals';
import { seededRng, type Rng } from '../simulation/random.js';
import { parsePromLine, parsePromText, type PromSeries } from './prom-text.js';

const POISON = 'chatfleet_turns_inflight{a="1",b 1';

describe('parsePromLine: valid lines', () => {
  it.each([
    { name: 'plain sample', line: 'a_total 3', want: { name: 'a_total', labels: {}, value: 3 } },
    {
      name: 'escapes in a label value: quote, backslash, newline',
      line: 'x{b="q\\"z",c="a\\\\b",d="l1\\nl2"} 1',
      want: { name: 'x', labels: { b: 'q"z', c: 'a\\b', d: 'l1\nl2' }, value: 1 },
    },
    {
      name: 'quoted } and , inside label values',
      line: 'x{a="1,2", b="} "} 1.5e2',
      want: { name: 'x', labels: { a: '1,2', b: '} ' }, value: 150 },
    },
    {
      name: 'timestamp is ignored',
      line: 'x{le="+Inf"} 7 1700000000000',
      want: { name: 'x', labels: { le: '+Inf' }, value: 7 },
    },
    { name: 'negative timestamp', line: 'x 7 -5', want: { name: 'x', labels: {}, value: 7 } },
    { name: '+Inf value', line: 'x +Inf', want: { name: 'x', labels: {}, value: Infinity } },
    { name: '-Inf value', line: 'x -Inf', want: { name: 'x', labels: {}, value: -Infinity } },
    { name: 'Inf value', line: 'x Inf', want: { name: 'x', labels: {}, value: Infinity } },
    { name: 'negative and fractional', line: 'x -.5', want: { name: 'x', labels: {}, value: -0.5 } },
    {
      name: 'trailing comma in labels',
      line: 'x{a="1",} 2',
      want: { name: 'x', labels: { a: '1' }, value: 2 },
    },
    { name: 'empty label set', line: 'x{} 3', want: { name: 'x', labels: {}, value: 3 } },
    { name: 'no blank after }', line: 'x{a="1"}4', want: { name: 'x', labels: { a: '1' }, value: 4 } },
    { name: 'blank before {', line: 'x {a="1"} 4', want: { name: 'x', labels: { a: '1' }, value: 4 } },
    { name: 'tabs and CRLF', line: 'x\t{ a = "1" }\t5\r', want: { name: 'x', labels: { a: '1' }, value: 5 } },
    {
      name: 'colon in metric name',
      line: 'job:x:rate5m 1',
      want: { name: 'job:x:rate5m', labels: {}, value: 1 },
    },
    { name: 'empty label value', line: 'x{a=""} 1', want: { name: 'x', labels: { a: '' }, value: 1 } },
  ])('$name', ({ line, want }) => {
    expect(parsePromLine(line)).toEqual(want);
  });

  it('NaN parses as NaN, and parsePromText drops it without calling it malformed', () => {
    expect(parsePromLine('x NaN')?.value).toBeNaN();
    expect(parsePromText('x NaN\ny 1\n')).toEqual({
      series: [{ name: 'y', labels: {}, value: 1 }],
      malformed: 0,
    });
  });

  it('a label named __proto__ is an own property, not a prototype change', () => {
    const s = parsePromLine('x{__proto__="1"} 1');
    expect(Object.keys(s?.labels ?? {})).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(s?.labels)).toBe(Object.prototype);
  });
});

describe('parsePromLine: comments and blanks are null', () => {
  it.each([
    '# HELP x The help, with \\\\ and \\n',
    '# TYPE x histogram',
    '#no space',
    '',
    '   ',
    '\t',
    '  # indented',
  ])('%j', (line) => {
    expect(parsePromLine(line)).toBeNull();
  });
});

describe('parsePromLine: malformed lines are undefined', () => {
  it.each([
    { name: 'the poisoned line that froze the operator', line: POISON },
    { name: 'missing closing brace', line: 'x{a="1" 1' },
    { name: 'unquoted label value', line: 'x{a=1} 1' },
    { name: 'invalid escape', line: 'x{a="\\q"} 1' },
    { name: 'unterminated value', line: 'x{a="1} 1' },
    { name: 'backslash at end of line', line: 'x{a="1\\' },
    { name: 'no value', line: 'x' },
    { name: 'no value after labels', line: 'x{a="1"}' },
    { name: 'extra field', line: 'x 1 2 3' },
    { name: 'bad float', line: 'x 1e' },
    { name: 'empty-string-like value', line: 'x +' },
    { name: 'hex value', line: 'x 0x10' },
    { name: 'prototype member as value', line: 'x constructor' },
    { name: 'bad timestamp', line: 'x 1 abc' },
    { name: 'name starting with a digit', line: '1x 1' },
    { name: 'label name starting with a digit', line: 'x{1a="1"} 1' },
    { name: 'duplicate label', line: 'x{a="1",a="2"} 1' },
    { name: 'missing comma', line: 'x{a="1" b="2"} 1' },
    { name: 'double comma', line: 'x{a="1",,b="2"} 1' },
    { name: 'only a brace', line: '{' },
  ])('$name', ({ line }) => {
    expect(parsePromLine(line)).toBeUndefined();
  });

  it('parsePromText skips and counts them, keeping the valid lines', () => {
    const text = [
      '# TYPE chatfleet_turns_inflight gauge',
      POISON,
      'chatfleet_turns_inflight 4',
      'x{a=1} 2',
      '',
    ].join('\n');
    const got = parsePromText(text);
    expect(got.malformed).toBe(2);
    expect(got.series).toEqual([{ name: 'chatfleet_turns_inflight', labels: {}, value: 4 }]);
  });

  it('a name filter skips other series before parsing them', () => {
    const got = parsePromText('other{broken 1\nkeep 2\n', new Set(['keep']));
    expect(got).toEqual({ series: [{ name: 'keep', labels: {}, value: 2 }], malformed: 0 });
  });
});

// ---- property tests -------------------------------------------------------------------------------

const ALPHABET = 'ab_:{}=",\\ \t#n.+-e0123456789IiNnf\r';
const VALID: string[] = [
  'chatfleet_turn_duration_seconds_bucket{model_version="v1",source="llm",outcome="ok",le="0.1"} 42',
  'chatfleet_turns_inflight 3',
  'x{a="1,2",b="} \\" \\\\ \\n"} +Inf 1700000000',
  '# HELP chatfleet_turns_inflight Turns in flight.',
  'x{} NaN',
];

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)] as T;
}

function pickChar(rng: Rng, chars: string): string {
  return chars[Math.floor(rng() * chars.length)] ?? '';
}

function randomLine(rng: Rng): string {
  const length = Math.floor(rng() * 60);
  let out = '';
  for (let i = 0; i < length; i++) out += pickChar(rng, ALPHABET);
  return out;
}

/** A valid line with a few random insertions, deletions, replacements or a truncation. */
function mutatedLine(rng: Rng): string {
  let line = pick(rng, VALID);
  const edits = 1 + Math.floor(rng() * 3);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rng() * (line.length + 1));
    const kind = Math.floor(rng() * 4);
    if (kind === 0) line = line.slice(0, at) + pickChar(rng, ALPHABET) + line.slice(at);
    else if (kind === 1) line = line.slice(0, at) + line.slice(at + 1);
    else if (kind === 2) line = line.slice(0, at) + pickChar(rng, ALPHABET) + line.slice(at + 1);
    else line = line.slice(0, at);
  }
  return line;
}

function isWellFormedResult(r: PromSeries | null | undefined): boolean {
  if (r === null || r === undefined) return true;
  return (
    typeof r.name === 'string' &&
    r.name.length > 0 &&
    typeof r.value === 'number' &&
    Object.values(r.labels).every((v) => typeof v === 'string')
  );
}

describe('property: random and mutated lines', () => {
  it('100k lines terminate fast, never throw, and parsePromText agrees with parsePromLine', () => {
    const rng = seededRng(14);
    const lines = Array.from({ length: 100_000 }, (_, i) =>
      i % 2 === 0 ? randomLine(rng) : mutatedLine(rng),
    );
    const started = performance.now();
    let malformed = 0;
    let samples = 0;
    const bad: string[] = [];
    for (const line of lines) {
      const r = parsePromLine(line);
      if (!isWellFormedResult(r)) bad.push(line);
      if (r === undefined) malformed++;
      else if (r !== null && !Number.isNaN(r.value)) samples++;
    }
    const perLineMs = performance.now() - started;
    const whole = parsePromText(lines.map((l) => l.replace(/\n/g, '')).join('\n'));
    const totalMs = performance.now() - started;
    console.log(
      `100k lines: ${malformed} malformed, ${samples} samples; per line ${perLineMs.toFixed(0)} ms, total ${totalMs.toFixed(0)} ms`,
    );
    expect(bad).toEqual([]);
    expect(whole).toEqual({ series: expect.any(Array), malformed });
    expect(whole.series).toHaveLength(samples);
    // Both kinds must be exercised, or the generator is not testing anything.
    expect(malformed).toBeGreaterThan(10_000);
    expect(samples).toBeGreaterThan(1_000);
    expect(totalMs).toBeLessThan(5_000);
  });

  it('round-trips random valid series with escaped label values', () => {
    const rng = seededRng(7);
    const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
    for (let n = 0; n < 2_000; n++) {
      const labels: Record<string, string> = {};
      const count = Math.floor(rng() * 4);
      for (let i = 0; i < count; i++)
        labels[`l${i}`] = Array.from({ length: Math.floor(rng() * 8) }, () =>
          pickChar(rng, '\\"\n},= a{'),
        ).join('');
      const value = Math.round((rng() - 0.5) * 1e6) / 100;
      const body = Object.entries(labels)
        .map(([k, v]) => `${k}="${escape(v)}"`)
        .join(',');
      const line = `m_${n}{${body}} ${value}${rng() < 0.5 ? ' 1700000000000' : ''}`;
      expect(parsePromLine(line)).toEqual({ name: `m_${n}`, labels, value });
    }
  });

  it('is linear: a 4 MiB label value and 4 MiB of poisoned lines parse in well under a second', () => {
    const started = performance.now();
    const huge = parsePromLine(`x{a="${'\\"'.repeat(2 * 1024 * 1024)}"} 1`);
    expect(huge?.labels.a).toHaveLength(2 * 1024 * 1024);
    const poisoned = parsePromText(`${POISON}\n`.repeat(Math.floor((4 * 1024 * 1024) / (POISON.length + 1))));
    expect(poisoned.series).toHaveLength(0);
    expect(poisoned.malformed).toBeGreaterThan(100_000);
    expect(performance.now() - started).toBeLessThan(1_500);
  });
});
