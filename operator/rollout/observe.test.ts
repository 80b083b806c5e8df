import { describe, expect, it } from '@jest/globals';
import { minimalCr } from '../workload/fixtures.js';
import type { ChatbotDeployment, KubeObject } from '../workload/types.js';
import type { RolloutState } from './core/types.js';
import { expectedStable, persistedState, plain, progressingCondition, trackRunning } from './observe.js';

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
  const cr = (rollout: unknown): ChatbotDeployment =>
    ({ ...minimalCr(), status: { rollout } }) as ChatbotDeployment;
  it('reads what the operator wrote', () => {
    expect(persistedState(cr(state('Paused')))?.phase).toBe('Paused');
  });
  it.each([[undefined], [{}], [{ phase: 'Idle' }], [{ phase: 'Idle', stable: {} }]])(
    'treats %j as no state (the core adopts the spec)',
    (rollout) => {
      expect(persistedState(cr(rollout))).toBeUndefined();
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

describe('expectedStable', () => {
  it.each<[RolloutState['phase'], string]>([
    ['Promoting', 'v2'],
    ['Progressing', 'v1'],
    ['Aborted', 'v1'],
    ['Idle', 'v1'],
  ])('%s: the stable Deployment should run %s', (phase, version) => {
    expect(expectedStable({ ...state(phase), canary: v2 })?.version).toBe(version);
  });
});
