import { describe, expect, it } from '@jest/globals';
import { minimalCr } from '../workload/fixtures.js';
import type { ChatbotDeployment, KubeObject } from '../workload/types.js';
import type { RolloutState, Target } from './core/types.js';
import {
  onlyStablePodsOf,
  persistedState,
  plain,
  progressingCondition,
  promotionTarget,
  trackRunning,
} from './observe.js';

const v2 = { id: 'b', version: 'v2', model: { name: 'm', version: 'v2' }, image: 'i' };
const state = (phase: RolloutState['phase']): RolloutState => ({
  phase,
  reason: 'Analyzing',
  message: 'm',
  stableVersion: 'v1',
  stable: { id: 'a', version: 'v1', model: { name: 'm', version: 'v1' }, image: 'i' },
  currentStepIndex: 0,
  canaryWeight: 10,
  failedChecks: 0,
  lastAnalysis: [],
  routingGeneration: 2,
});

function deployment(
  version: string,
  replicas: number,
  ready: number,
  generation = 2,
  observed = 2,
): KubeObject {
  return {
    metadata: { generation },
    spec: { replicas, template: { metadata: { labels: { 'chatfleet.io/model-version': version } } } },
    status: {
      observedGeneration: observed,
      replicas: ready,
      readyReplicas: ready,
      updatedReplicas: ready,
      availableReplicas: ready,
    },
  };
}

describe('trackRunning', () => {
  it.each<[string, KubeObject | undefined, boolean]>([
    ['all ready at the revision', deployment('v2', 2, 2), true],
    ['missing', undefined, false],
    ['another version', deployment('v3', 2, 2), false],
    ['not all ready', deployment('v2', 2, 1), false],
    ['scaled to 0', deployment('v2', 0, 0), false],
    ['generation not observed yet', deployment('v2', 2, 2, 3, 2), false],
  ])('%s -> %s', (_what, d, want) => {
    expect(trackRunning(d, v2)).toBe(want);
  });
});

describe('persistedState', () => {
  const cbd = (rollout: unknown): ChatbotDeployment =>
    ({ ...minimalCr(), status: { rollout } }) as ChatbotDeployment;
  it('reads what the operator wrote', () => {
    expect(persistedState(cbd(state('Paused')))?.phase).toBe('Paused');
  });
  it.each([[undefined], [{}], [{ phase: 'Idle' }], [{ phase: 'Idle', stable: {} }]])(
    'treats %j as no state (the core adopts the spec)',
    (rollout) => {
      expect(persistedState(cbd(rollout))).toBeUndefined();
    },
  );
});

describe('progressingCondition', () => {
  it.each<[RolloutState['phase'], string | undefined]>([
    ['Progressing', 'True'],
    ['Promoting', 'True'],
    ['Paused', 'Unknown'],
    ['Idle', undefined],
    ['Promoted', undefined],
    ['Aborted', undefined],
  ])('%s -> %s', (phase, status) => {
    expect(progressingCondition(state(phase))?.status).toBe(status);
  });
});

describe('plain', () => {
  it('drops undefined members (status must compare equal to the read-back)', () => {
    expect(plain({ a: 1, b: undefined, c: { d: undefined } })).toEqual({ a: 1, c: {} });
    expect(Object.keys(plain({ a: 1, b: undefined }))).toEqual(['a']);
  });
});

describe('promotionTarget: the revision stableUpdated is judged against', () => {
  const target = (id: string, version: string): Target => ({ id, model: { name: 'm', version }, image: 'i' });
  it.each<[string, RolloutState | undefined, Target, string]>([
    ['Promoting: the canary being promoted', { ...state('Promoting'), canary: v2 }, target('b', 'v2'), 'v2'],
    [
      'Progressing with a canary (promote-full may come in this call)',
      { ...state('Progressing'), canary: v2 },
      target('b', 'v2'),
      'v2',
    ],
    ['Aborted canary', { ...state('Aborted'), canary: v2 }, target('b', 'v2'), 'v2'],
    ['Idle, spec unchanged', state('Idle'), target('a', 'v1'), 'v1'],
    ['Idle, a new version (Immediate promotes it in this call)', state('Idle'), target('c', 'v3'), 'v3'],
    ['Idle, same version new image: a distinct version', state('Idle'), target('d', 'v1'), 'v1-rd'],
    [
      'Promoting, and a newer version arrives',
      { ...state('Promoting'), canary: v2 },
      target('e', 'v3'),
      'v3',
    ],
    ['no state yet', undefined, target('a', 'v1'), 'v1'],
  ])('%s -> %s', (_what, s, t, version) => {
    expect(promotionTarget(s, t).version).toBe(version);
  });
});

describe('onlyStablePodsOf: a promotion waits until no old stable pod serves', () => {
  const pod = (labels: Record<string, string>, deleting = false): KubeObject => ({
    metadata: { labels, ...(deleting ? { deletionTimestamp: '2026-12-01T11:00:00Z' } : {}) },
  });
  const stable = (version: string, deleting = false): KubeObject =>
    pod({ 'chatfleet.io/track': 'stable', 'chatfleet.io/model-version': version }, deleting);
  const canary = (version: string): KubeObject =>
    pod({ 'chatfleet.io/track': 'canary', 'chatfleet.io/model-version': version });
  it.each<[string, KubeObject[], boolean]>([
    ['only new stable pods', [stable('v2'), stable('v2')], true],
    ['an old stable pod still terminating (preStop sleep, drain)', [stable('v2'), stable('v1', true)], false],
    ['an old stable pod not replaced yet', [stable('v2'), stable('v1')], false],
    ['canary pods of any version do not count', [stable('v2'), canary('v2'), canary('v1')], true],
    [
      'a pod without a track label is stable',
      [stable('v2'), pod({ 'chatfleet.io/model-version': 'v1' })],
      false,
    ],
    ['no pods', [], true],
  ])('%s -> %s', (_what, pods, want) => {
    expect(onlyStablePodsOf(pods, v2)).toBe(want);
  });
  it('is false without a revision', () => {
    expect(onlyStablePodsOf([], undefined)).toBe(false);
  });
});
