import { describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../workload/types.js';
import {
  ConflictBackoff,
  finalizersChange,
  isBotPodOf,
  statusUpToDate,
  statusWaitsForDeployment,
} from './reconcile-decisions.js';

describe('statusUpToDate', () => {
  const base = {
    observedGeneration: 1,
    rollout: { phase: 'Progressing', canaryWeight: 10, stepStartedAt: 'x' },
  };
  it.each<[string, Record<string, unknown>, Record<string, unknown> | undefined, boolean]>([
    ['equal', base, base, true],
    ['live missing', base, undefined, false],
    ['a field changed', { ...base, rollout: { ...base.rollout, canaryWeight: 25 } }, base, false],
    [
      'a rollout field dropped (must be removed from live)',
      { ...base, rollout: { phase: 'Progressing', canaryWeight: 10 } },
      base,
      false,
    ],
    [
      'extra live fields outside rollout are tolerated',
      { observedGeneration: 1 },
      { observedGeneration: 1, replicas: 2 },
      true,
    ],
  ])('%s -> %s', (_what, desired, live, want) => {
    expect(statusUpToDate(desired as never, live as never)).toBe(want);
  });
});

describe('finalizersChange', () => {
  const OURS = ['chatfleet.io/kafka-topics', 'test.chatfleet.io/cleanup'];
  it.each<[string, string[], string[], boolean]>([
    ['nothing wanted, nothing present', [], [], false],
    ['wanted and present', ['chatfleet.io/kafka-topics'], ['chatfleet.io/kafka-topics'], false],
    ['wanted, missing', [], ['chatfleet.io/kafka-topics'], true],
    ['ours, no longer wanted', ['chatfleet.io/kafka-topics'], [], true],
    ["someone else's, left alone", ['example.com/keep'], [], false],
    [
      "someone else's beside ours, both fine",
      ['example.com/keep', 'chatfleet.io/kafka-topics'],
      ['chatfleet.io/kafka-topics'],
      false,
    ],
  ])('%s -> %s', (_what, present, wanted, want) => {
    expect(finalizersChange(present, wanted, OURS)).toBe(want);
  });
});

describe('isBotPodOf', () => {
  const pod = (labels: Record<string, string>): KubeObject => ({ metadata: { name: 'p', labels } });
  it.each<[string, Record<string, string>, boolean]>([
    [
      'a bot pod of the fleet',
      { 'app.kubernetes.io/name': 'chatbot', 'app.kubernetes.io/instance': 'bot' },
      true,
    ],
    [
      'a bot pod of another fleet',
      { 'app.kubernetes.io/name': 'chatbot', 'app.kubernetes.io/instance': 'bot-2' },
      false,
    ],
    [
      "the fleet's managed Redis pod",
      { 'app.kubernetes.io/name': 'redis', 'app.kubernetes.io/instance': 'bot' },
      false,
    ],
    ['no labels', {}, false],
  ])('%s -> %s', (_what, labels, want) => {
    expect(isBotPodOf(pod(labels), 'bot')).toBe(want);
  });
});

describe('ConflictBackoff', () => {
  it('waits as long as the conflict has lasted (2 s to 30 s), per fleet, and forgets it once it clears', () => {
    const b = new ConflictBackoff();
    expect(b.requeueMs('ns/a', false, 0)).toBeUndefined();
    expect(b.size).toBe(0);
    expect(b.requeueMs('ns/a', true, 1_000)).toBe(2_000);
    expect(b.requeueMs('ns/a', true, 6_000)).toBe(5_000);
    expect(b.requeueMs('ns/b', true, 6_000)).toBe(2_000); // another fleet has its own start
    expect(b.requeueMs('ns/a', true, 100_000)).toBe(30_000);
    expect(b.requeueMs('ns/a', false, 100_001)).toBeUndefined();
    expect(b.requeueMs('ns/a', true, 100_002)).toBe(2_000); // a new conflict starts over
    b.forget('ns/a');
    b.forget('ns/b');
    expect(b.size).toBe(0);
  });
});

describe('statusWaitsForDeployment', () => {
  const dep = (generation: number): KubeObject => ({ metadata: { name: 'a', generation } });
  it.each([
    ['created this reconcile', undefined, dep(1), false, true],
    ['its spec changed (generation moved)', dep(1), dep(2), false, true],
    [
      'applied with the same generation (metadata only): no Deployment status follows',
      dep(2),
      dep(2),
      false,
      false,
    ],
    ['not applied this reconcile', dep(2), undefined, false, false],
    ['created, but a failure or conflict must show now', undefined, dep(1), true, false],
  ])('%s', (_name, before, written, problem, want) => {
    expect(statusWaitsForDeployment(before, written, problem)).toBe(want);
  });
});
