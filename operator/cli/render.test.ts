import { describe, expect, it } from '@jest/globals';
import { minimalCr } from '../workload/fixtures.js';
import type { ChatbotDeployment, KubeObject } from '../workload/types.js';
import { settled, statusText, treeText } from './render.js';

function withRollout(rollout: Record<string, unknown>): ChatbotDeployment {
  const cbd = minimalCr();
  return {
    ...cbd,
    status: {
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Available',
          message: '',
          lastTransitionTime: '2026-12-01T10:00:00Z',
        },
      ],
      rollout,
    },
  };
}

const progressing = withRollout({
  phase: 'Progressing',
  reason: 'Analyzing',
  stableVersion: 'v7',
  canaryVersion: 'v8',
  canaryWeight: 10,
  currentStepIndex: 0,
  failedChecks: 1,
  observedCanaryShare: 9.8,
  message: 'analysing v8 at 10 %',
  lastAnalysisAt: '2026-12-01T10:05:00Z',
  lastAnalysis: [
    {
      metric: 'errorRate',
      canary: 0.012,
      stable: 0.0101,
      canaryTurns: 80,
      stableTurns: 700,
      verdict: 'Pass',
      reason: 'within bounds',
    },
    {
      metric: 'latency',
      canary: 420,
      stable: 300,
      canaryTurns: 80,
      stableTurns: 700,
      verdict: 'Fail',
      reason: 'p95 +40 %',
    },
  ],
  lastHandledAction: 'resume@abc',
});

function deployment(name: string, version: string, ready: number, replicas: number): KubeObject {
  return {
    metadata: { name },
    spec: { replicas, template: { metadata: { labels: { 'chatfleet.io/model-version': version } } } },
    status: { readyReplicas: ready },
  };
}

function pod(name: string, track: string, version: string, ready: boolean): KubeObject {
  return {
    metadata: { name, labels: { 'chatfleet.io/track': track, 'chatfleet.io/model-version': version } },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

describe('rollout status', () => {
  it('shows phase, versions, weight, step, failed checks, share, message, analysis and the last action', () => {
    const text = statusText(progressing);
    expect(text.split('\n')).toEqual([
      'fleet team-a/support: Progressing (Analyzing)  Ready=True',
      'stable v7  canary v8  weight 10%',
      'step 1/6 (setWeight 10)  failed checks 1/1  observed share 9.8%',
      'analysing v8 at 10 %',
      'last analysis at 2026-12-01T10:05:00Z:',
      '  errorRate: Pass  canary 0.012 (80 turns)  stable 0.0101 (700 turns)  within bounds',
      '  latency: Fail  canary 420 (80 turns)  stable 300 (700 turns)  p95 +40 %',
      'last action handled: resume@abc',
    ]);
  });

  it('shows an idle fleet in two lines', () => {
    expect(statusText(minimalCr())).toBe('fleet team-a/support: Idle  Ready=Unknown\nstable v7');
  });

  it.each([
    [undefined, true],
    ['Idle', true],
    ['Progressing', false],
    ['Paused', false],
    ['Promoting', false],
    ['Promoted', true],
    ['Aborted', true],
  ])('phase %s settled: %s', (phase, want) => {
    expect(settled(phase ? withRollout({ phase }) : minimalCr())).toBe(want);
  });
});

describe('get <fleet>', () => {
  it('draws the fleet, both tracks with their pods, and the last analysis', () => {
    const text = treeText({
      cbd: progressing,
      stable: deployment('support', 'v7', 2, 2),
      canary: deployment('support-canary', 'v8', 0, 1),
      pods: [
        pod('support-b', 'stable', 'v7', true),
        pod('support-a', 'stable', 'v7', true),
        pod('support-canary-x', 'canary', 'v8', false),
      ],
    });
    expect(text.split('\n')).toEqual([
      'ChatbotDeployment team-a/support  Ready=True  rollout Progressing  weight 10%  step 1/6 (setWeight 10)',
      '├── stable  Deployment support  v7  2/2 ready',
      '│   ├── pod support-a  v7  Ready',
      '│   └── pod support-b  v7  Ready',
      '├── canary  Deployment support-canary  v8  0/1 ready',
      '│   └── pod support-canary-x  v8  Running',
      '└── last analysis',
      '    ├── errorRate: Pass  canary 0.012 (80 turns)  stable 0.0101 (700 turns)  within bounds',
      '    └── latency: Fail  canary 420 (80 turns)  stable 300 (700 turns)  p95 +40 %',
    ]);
  });
});
