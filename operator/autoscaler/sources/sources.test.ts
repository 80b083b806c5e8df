import { describe, expect, it } from '@jest/globals';
import { Gauge, Histogram as PromHistogram, Registry } from 'prom-client';
import { TURN_BUCKETS } from '../../../bot-runtime/metrics/buckets.js';
import {
  cumulativeAt,
  histogramFrom,
  histogramQuantile,
  increase,
  TURN_DURATION,
  type Histogram,
} from './histogram.js';
import { parsePromText } from './prom-text.js';
import { ScrapeSource } from './scrape-source.js';

const BUCKETS = [...TURN_BUCKETS];

/** A real prom-client registry shaped like the bot runtime's (contract metric names and buckets). */
function botRegistry(): { registry: Registry; turns: PromHistogram<string>; inflight: Gauge<string> } {
  const registry = new Registry();
  const turns = new PromHistogram({
    name: TURN_DURATION,
    help: 'turn duration',
    labelNames: ['model_version', 'source', 'outcome'],
    buckets: BUCKETS,
    registers: [registry],
  });
  const inflight = new Gauge({ name: 'chatfleet_turns_inflight', help: 'in flight', registers: [registry] });
  return { registry, turns, inflight };
}

describe('prom-text over prom-client output', () => {
  it('reads a real prom-client exposition, filtered by name', async () => {
    const { registry, turns, inflight } = botRegistry();
    turns.observe({ model_version: 'v1', source: 'llm', outcome: 'ok' }, 0.12);
    inflight.set(5);
    const { series, malformed } = parsePromText(
      await registry.metrics(),
      new Set([`${TURN_DURATION}_bucket`]),
    );
    expect(malformed).toBe(0);
    expect(series).toHaveLength(BUCKETS.length + 1);
    expect(series.find((s) => s.labels.le === '0.15')?.value).toBe(1);
    expect(series.find((s) => s.labels.le === '0.1')?.value).toBe(0);
  });
});

describe('histogram aggregation and quantile', () => {
  it('sums label sets by le and excludes shed turns', async () => {
    const { registry, turns } = botRegistry();
    turns.observe({ model_version: 'v1', source: 'llm', outcome: 'ok' }, 0.12);
    turns.observe({ model_version: 'v2', source: 'intent', outcome: 'ok' }, 0.02);
    turns.observe({ model_version: 'v1', source: 'llm', outcome: 'shed' }, 0.001);
    const h = histogramFrom(
      parsePromText(await registry.metrics()).series,
      TURN_DURATION,
      (l) => l.outcome !== 'shed',
    );
    expect(h.counts.at(-1)).toBe(2);
    expect(h.bounds.at(-1)).toBe(Infinity);
  });

  const h = (counts: number[]): Histogram => ({ bounds: [0.1, 0.2, 0.4, Infinity], counts });
  it.each([
    { name: 'median in the first bucket interpolates from 0', q: 0.5, counts: [10, 10, 10, 10], want: 0.05 },
    { name: 'p95 inside a middle bucket', q: 0.95, counts: [0, 50, 100, 100], want: 0.2 + 0.2 * 0.9 },
    { name: 'rank in +Inf returns the highest finite bound', q: 0.99, counts: [0, 0, 50, 100], want: 0.4 },
    { name: 'no observations is null, not 0', q: 0.95, counts: [0, 0, 0, 0], want: null },
  ])('$name', ({ q, counts, want }) => {
    const got = histogramQuantile(q, h(counts));
    if (want === null) expect(got).toBeNull();
    else expect(got).toBeCloseTo(want, 9);
  });

  it.each([
    { name: 'normal increase', prev: [1, 2, 3, 4], cur: [2, 4, 6, 8], want: [1, 2, 3, 4] },
    {
      name: 'counter reset: new counts are the increase',
      prev: [5, 6, 7, 8],
      cur: [1, 1, 2, 2],
      want: [1, 1, 2, 2],
    },
  ])('increase: $name', ({ prev, cur, want }) => {
    expect(increase(h(prev), h(cur)).counts).toEqual(want);
  });
});

describe('ScrapeSource over real prom-client text', () => {
  const labels = { model_version: 'v1', source: 'llm', outcome: 'ok' };
  function setup(pods: Record<string, Registry>): ScrapeSource {
    return new ScrapeSource({
      fetchText: async (url) => {
        const registry = pods[new URL(url).host];
        if (registry === undefined) throw new Error(`connect ECONNREFUSED ${url}`);
        return registry.metrics();
      },
    });
  }
  const fleet = (hosts: string[]) => ({
    namespace: 'ns',
    name: 'bot',
    podEndpoints: hosts.map((h) => `http://${h}`),
  });
  const win = (now: number) => ({ now, seconds: 60, percentile: 95 });

  it('first scrape has no latency baseline; later ones use window deltas across pods', async () => {
    const a = botRegistry();
    const b = botRegistry();
    for (let i = 0; i < 100; i++) a.turns.observe(labels, 5); // old history, before our first scrape
    const source = setup({ 'a:1': a.registry, 'b:1': b.registry });
    a.inflight.set(3);
    b.inflight.set(4);
    const first = await source.fetch(fleet(['a:1', 'b:1']), win(0));
    expect(first).toMatchObject({ kind: 'sample', latencyMs: null, turns: 0, inflight: 7, podsReporting: 2 });
    for (let i = 0; i < 50; i++) a.turns.observe(labels, 0.12);
    for (let i = 0; i < 50; i++) b.turns.observe(labels, 0.18);
    const second = await source.fetch(fleet(['a:1', 'b:1']), win(15_000));
    expect(second.kind).toBe('sample');
    if (second.kind !== 'sample') return;
    expect(second.turns).toBe(100);
    // 95th of 100 in window: all in (0.15, 0.2]; rank 95, 50 below -> 0.15 + 0.05 * 45/50
    expect(second.latencyMs).toBeCloseTo(195, 6);
  });

  it('handles a pod restart (counter reset) without negative or lost counts', async () => {
    const pod = botRegistry();
    for (let i = 0; i < 40; i++) pod.turns.observe(labels, 0.04);
    const pods = { 'p:1': pod.registry };
    const source = setup(pods);
    await source.fetch(fleet(['p:1']), win(0));
    const restarted = botRegistry();
    for (let i = 0; i < 10; i++) restarted.turns.observe(labels, 0.9);
    pods['p:1'] = restarted.registry;
    const after = await source.fetch(fleet(['p:1']), win(15_000));
    expect(after).toMatchObject({ kind: 'sample', turns: 10 });
    if (after.kind === 'sample') expect(after.latencyMs).toBeGreaterThan(750);
  });

  it('drops turns older than the window', async () => {
    const pod = botRegistry();
    const source = setup({ 'p:1': pod.registry });
    await source.fetch(fleet(['p:1']), win(0));
    for (let i = 0; i < 20; i++) pod.turns.observe(labels, 2.5);
    await source.fetch(fleet(['p:1']), win(15_000));
    for (let i = 0; i < 20; i++) pod.turns.observe(labels, 0.03);
    await source.fetch(fleet(['p:1']), win(80_000));
    const late = await source.fetch(fleet(['p:1']), win(95_000));
    expect(late).toMatchObject({ kind: 'sample', turns: 20 });
    if (late.kind === 'sample') expect(late.latencyMs).toBeLessThan(50);
  });

  it('a new pod in a watched fleet counts from zero', async () => {
    const a = botRegistry();
    const pods: Record<string, Registry> = { 'a:1': a.registry };
    const source = setup(pods);
    await source.fetch(fleet(['a:1']), win(0));
    const b = botRegistry();
    for (let i = 0; i < 10; i++) b.turns.observe(labels, 0.3);
    pods['b:1'] = b.registry;
    const got = await source.fetch(fleet(['a:1', 'b:1']), win(15_000));
    expect(got).toMatchObject({ kind: 'sample', turns: 10, podsReporting: 2 });
  });

  it.each([
    { name: 'no pods is no data', hosts: [], kind: 'noData' },
    { name: 'every pod failing is a failure', hosts: ['down:1'], kind: 'failure' },
  ])('$name', async ({ hosts, kind }) => {
    const source = setup({});
    expect((await source.fetch(fleet(hosts), win(0))).kind).toBe(kind);
  });

  it('one failing pod: sample from the others with podsReporting counted', async () => {
    const a = botRegistry();
    a.inflight.set(2);
    const source = setup({ 'a:1': a.registry });
    expect(await source.fetch(fleet(['a:1', 'down:1']), win(0))).toMatchObject({
      kind: 'sample',
      podsReporting: 1,
      inflight: 2,
    });
  });
});

describe('cumulativeAt', () => {
  const h: Histogram = { bounds: [0.1, 0.5, Infinity], counts: [3, 8, 10] };
  it.each([
    { bound: 0.05, want: 0 },
    { bound: 0.1, want: 3 },
    { bound: 0.3, want: 3 },
    { bound: 0.5, want: 8 },
    { bound: 9, want: 8 },
    { bound: Infinity, want: 10 },
  ])('at $bound: $want', ({ bound, want }) => {
    expect(cumulativeAt(h, bound)).toBe(want);
  });
});
