import { describe, expect, it } from '@jest/globals';
import { capacityObservation, MIN_LEARNING_TURNS } from './capacity-target.js';
import { decide } from './decide.js';
import { input, policy, s } from './support.js';
import type { MetricObservation } from './types.js';

// The learning policy: no targetInflightPerPod configured (the default 0.7 x 64 = 44.8 is the ceiling).
const learning = policy({
  learnCapacity: true,
  capacityRevision: 'img:1/model:1',
  targetInflightPerPod: 44.8,
});

/** A scrape every 15 s up to `untilSec`, each with the time-averaged in-flight of its interval. */
function window(opts: {
  perPod: number;
  pods: number;
  latencyMs: number;
  untilSec?: number;
  turns?: number;
}): MetricObservation[] {
  const until = opts.untilSec ?? 60;
  return [0, 15, 30, 45, 60].map((offset) => ({
    kind: 'sample',
    time: s(until - 60 + offset),
    latencyMs: opts.latencyMs,
    turns: opts.turns ?? 1000,
    inflight: opts.perPod * opts.pods,
    concurrency: opts.perPod * opts.pods,
    podsReporting: opts.pods,
  }));
}

describe('decide: capacity learnt online when no target is configured', () => {
  it('a configured target wins: nothing is learnt', () => {
    const d = decide(input({ history: window({ perPod: 6, pods: 4, latencyMs: 204 }) }));
    expect(d.nextState.capacity).toBeUndefined();
    expect(d.readings.learntInflightPerPod).toBeNull();
    expect(d.readings.effectiveTargetInflightPerPod).toBe(10);
  });

  it('before a usable window the default target acts, as without learning', () => {
    const first: MetricObservation[] = [
      { kind: 'sample', time: s(60), latencyMs: 204, turns: 1000, inflight: 24, podsReporting: 4 },
    ];
    const d = decide(input({ policy: learning, history: first }));
    expect(d.readings.effectiveTargetInflightPerPod).toBeCloseTo(44.8);
    expect(d.nextState.capacity?.inflightPerPod).toBeNull();
  });

  it('a usable window sets the target and says so in the reason', () => {
    // 6 in flight per pod at 204 ms: 6 x 255 / 204 = 7.5 at the aim. Demand at the aim 24 x 255/204 = 30.
    const d = decide(input({ policy: learning, history: window({ perPod: 6, pods: 4, latencyMs: 204 }) }));
    expect(d.readings.learntInflightPerPod).toBeCloseTo(7.5);
    expect(d.readings.effectiveTargetInflightPerPod).toBeCloseTo(7.5);
    expect(d.readings.inflightPerPod).toBeCloseTo(6);
    expect(d.rawRecommendation).toBe(4);
    expect(d.nextState.capacity).toMatchObject({ revision: 'img:1/model:1', windows: 1, updatedAt: s(60) });
  });

  it('a fast fleet is compared at the aim latency: no scale-down into overload', () => {
    // 40 pods at 0.6 in flight and 170 ms: raw demand 24 / 7.5 = 4 pods; at the aim it is 36 / 7.5 = 5.
    const state = {
      ...input({ history: [] }).state,
      capacity: { revision: 'img:1/model:1', inflightPerPod: 7.5, windows: 9, updatedAt: s(0), curve: [] },
    };
    const d = decide(
      input({
        policy: learning,
        currentReplicas: 40,
        state,
        history: window({ perPod: 0.6, pods: 40, latencyMs: 170 }),
      }),
    );
    expect(d.rawRecommendation).toBe(5);
  });

  it('a new revision learns again from its own windows', () => {
    const old = { revision: 'img:0/model:1', inflightPerPod: 20, windows: 50, updatedAt: s(0), curve: [] };
    const state = { ...input({ history: [] }).state, capacity: old };
    const d = decide(
      input({ policy: learning, state, history: window({ perPod: 6, pods: 4, latencyMs: 204 }) }),
    );
    expect(d.nextState.capacity).toMatchObject({ revision: 'img:1/model:1', windows: 1 });
    expect(d.readings.learntInflightPerPod).toBeCloseTo(7.5);
  });

  it('holding without data keeps the learnt target', () => {
    const learnt = { revision: 'img:1/model:1', inflightPerPod: 7.5, windows: 9, updatedAt: s(0), curve: [] };
    const state = { ...input({ history: [] }).state, capacity: learnt };
    const history: MetricObservation[] = [
      ...window({ perPod: 6, pods: 4, latencyMs: 204 }),
      { kind: 'failure', time: s(75), error: 'ECONNREFUSED' },
    ];
    const d = decide(input({ policy: learning, state, history, now: s(75) }));
    expect(d.readings.effectiveTargetInflightPerPod).toBe(7.5);
    expect(d.nextState.capacity).toEqual(learnt);
  });
});

describe('capacityObservation (what a window may teach)', () => {
  const base = { policy: learning };
  it.each<{ name: string; history: MetricObservation[]; panic?: boolean; want: number | null }>([
    {
      name: 'time-averaged in-flight per pod',
      history: window({ perPod: 6, pods: 4, latencyMs: 204 }),
      want: 6,
    },
    {
      name: 'not in panic',
      history: window({ perPod: 6, pods: 4, latencyMs: 204 }),
      panic: true,
      want: null,
    },
    {
      name: 'not from too few turns',
      history: window({ perPod: 6, pods: 4, latencyMs: 204, turns: MIN_LEARNING_TURNS - 1 }),
      want: null,
    },
    {
      name: 'not at the shed limit (0.9 x maxInflight)',
      history: window({ perPod: 58, pods: 4, latencyMs: 900 }),
      want: null,
    },
    {
      name: 'not without latency data',
      history: window({ perPod: 6, pods: 4, latencyMs: null as unknown as number }),
      want: null,
    },
    {
      name: 'not from less than half a window of averages',
      history: window({ perPod: 6, pods: 4, latencyMs: 204 }).slice(-2),
      want: null,
    },
  ])('$name', ({ history, panic, want }) => {
    const i = input({ ...base, history });
    const o = capacityObservation({ ...i, state: { ...i.state, panicSince: panic === true ? s(50) : null } });
    if (want === null) expect(o).toBeNull();
    else expect(o?.inflightPerPod).toBeCloseTo(want);
  });

  it('judges a varying window at its average and its peak interval', () => {
    const history = window({ perPod: 4, pods: 4, latencyMs: 300 }).map((o, i) =>
      o.kind === 'sample' && i === 4 ? { ...o, concurrency: 40 } : o,
    );
    const o = capacityObservation(input({ ...base, history }));
    expect(o).toEqual({ inflightPerPod: 5.5, peakInflightPerPod: 10, latencyMs: 300 });
  });
});
