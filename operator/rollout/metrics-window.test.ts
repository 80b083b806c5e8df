import { describe, expect, it } from '@jest/globals';
import { advanceWindow, counterIncrease, minGeneration, parsePodMetrics } from './metrics-window.js';
import type { PodScrape } from './metrics-window.js';

/** /metrics text of a bot pod (the runtime's names and labels). */
function metricsText(o: {
  generation?: number;
  ok: number;
  errors: number;
  fallback: number;
  cache: number;
  conversations?: [number, number];
}): string {
  const lines: string[] = [];
  if (o.generation !== undefined) lines.push(`chatfleet_rollout_generation ${o.generation}`);
  const series = (labels: string, n: number, fast: number): void => {
    lines.push(`chatfleet_turn_duration_seconds_bucket{${labels},le="0.1"} ${fast}`);
    lines.push(`chatfleet_turn_duration_seconds_bucket{${labels},le="1"} ${n}`);
    lines.push(`chatfleet_turn_duration_seconds_bucket{${labels},le="+Inf"} ${n}`);
  };
  series('model_version="v1",source="llm",outcome="ok"', o.ok, 0);
  series('model_version="v1",source="llm",outcome="error"', o.errors, 0);
  series('model_version="v1",source="fallback",outcome="ok"', o.fallback, 0);
  series('model_version="v1",source="cache",outcome="ok"', o.cache, o.cache);
  series('model_version="v1",source="llm",outcome="shed"', 1000, 1000);
  const [s, c] = o.conversations ?? [0, 0];
  lines.push(`chatfleet_conversations_started_total{model_version="v1",track="stable"} ${s}`);
  lines.push(`chatfleet_conversations_started_total{model_version="v2",track="canary"} ${c}`);
  return `# HELP x\n${lines.join('\n')}\n`;
}

describe('parsePodMetrics', () => {
  it('counts turns without shed, errors, fallbacks, latency without cache, conversations by track', () => {
    const m = parsePodMetrics(
      metricsText({ generation: 4, ok: 10, errors: 2, fallback: 3, cache: 5, conversations: [7, 1] }),
    );
    expect(m.generation).toBe(4);
    expect(m.counters).toMatchObject({
      turns: 20,
      errors: 2,
      fallbacks: 3,
      conversations: { stable: 7, canary: 1 },
    });
    expect(m.counters.latency.counts.at(-1)).toBe(15);
    expect(m.counters.latency.counts[0]).toBe(0); // the fast cache hits are left out
  });

  it.each([
    ['absent', undefined],
    ['-1 (none applied yet)', -1],
  ])('has no generation when the gauge is %s', (_what, generation) => {
    const text = metricsText({
      ok: 1,
      errors: 0,
      fallback: 0,
      cache: 0,
      ...(generation !== undefined ? { generation } : {}),
    });
    expect(parsePodMetrics(text).generation).toBeUndefined();
  });

  it('survives garbage (tenant-controlled text)', () => {
    expect(parsePodMetrics('not{ metrics\n\u0000 1 2 3').counters.turns).toBe(0);
  });
});

describe('counterIncrease', () => {
  const a = parsePodMetrics(metricsText({ ok: 10, errors: 1, fallback: 1, cache: 0 })).counters;
  const b = parsePodMetrics(metricsText({ ok: 15, errors: 3, fallback: 1, cache: 0 })).counters;
  it('differences two scrapes', () => {
    expect(counterIncrease(a, b)).toMatchObject({ turns: 7, errors: 2, fallbacks: 0 });
  });
  it('treats counters going down as a restart (the new counts are the increase)', () => {
    expect(counterIncrease(b, a)).toEqual(a);
  });
});

const scrape = (pod: string, track: 'stable' | 'canary', text: string | undefined): PodScrape => ({
  pod,
  track,
  metrics: text === undefined ? undefined : parsePodMetrics(text),
});

describe('minGeneration', () => {
  it.each<[string, PodScrape[], number | undefined]>([
    [
      'lowest over pods',
      [
        scrape('a', 'stable', 'chatfleet_rollout_generation 3'),
        scrape('b', 'canary', 'chatfleet_rollout_generation 2'),
      ],
      2,
    ],
    [
      'unknown when one pod is unreadable',
      [scrape('a', 'stable', 'chatfleet_rollout_generation 3'), scrape('b', 'canary', undefined)],
      undefined,
    ],
    [
      'unknown when one pod has none',
      [scrape('a', 'stable', 'chatfleet_rollout_generation 3'), scrape('b', 'canary', 'x 1')],
      undefined,
    ],
    ['unknown without pods', [], undefined],
  ])('%s', (_what, round, want) => {
    expect(minGeneration(round)).toBe(want);
  });
});

describe('advanceWindow', () => {
  const t0 = '2026-12-01T10:00:00.000Z';
  const t1 = '2026-12-01T10:00:30.000Z';
  const first = [
    scrape(
      's1',
      'stable',
      metricsText({ ok: 100, errors: 1, fallback: 0, cache: 0, conversations: [50, 5] }),
    ),
    scrape('c1', 'canary', metricsText({ ok: 10, errors: 0, fallback: 0, cache: 0 })),
  ];
  const second = [
    scrape(
      's1',
      'stable',
      metricsText({ ok: 190, errors: 3, fallback: 10, cache: 0, conversations: [95, 10] }),
    ),
    scrape('c1', 'canary', metricsText({ ok: 20, errors: 4, fallback: 1, cache: 0 })),
    scrape('c2', 'canary', metricsText({ ok: 999, errors: 999, fallback: 0, cache: 0 })),
  ];

  it('takes the first round of a window as its baseline and yields no sample', () => {
    const r = advanceWindow(undefined, t0, first, t0);
    expect(r.sample).toBeUndefined();
    expect(r.state.from).toBe(t0);
  });

  it('yields the per-track increase since the baseline; a pod first seen later only becomes a baseline', () => {
    const { state } = advanceWindow(undefined, t0, first, t0);
    const { sample } = advanceWindow(state, t0, second, t1);
    expect(sample).toMatchObject({
      window: t0,
      from: t0,
      to: t1,
      stable: { turns: 102, errors: 2, fallbacks: 10, conversations: 45 },
      canary: { turns: 15, errors: 4, fallbacks: 1, conversations: 5 },
    });
  });

  it('rebaselines when the window changes, and has no sample when no pod can be read', () => {
    const { state } = advanceWindow(undefined, t0, first, t0);
    expect(advanceWindow(state, t1, second, t1).sample).toBeUndefined();
    expect(advanceWindow(state, t0, [scrape('s1', 'stable', undefined)], t1).sample).toBeUndefined();
  });
});
