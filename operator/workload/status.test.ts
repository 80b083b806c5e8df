import { describe, expect, it } from '@jest/globals';
import { computeDegraded, computeStatus, deploymentComplete, mergeConditions, rfc3339 } from './status.js';
import { minimalCr } from './fixtures.js';
import type { KubeObject } from './types.js';

const now = new Date('2026-11-28T12:00:00.123Z');

function deployment(spec: number, status: Record<string, unknown>, generation = 4): KubeObject {
  return { metadata: { name: 'support', generation }, spec: { replicas: spec }, status };
}

const full = {
  observedGeneration: 4,
  replicas: 2,
  readyReplicas: 2,
  updatedReplicas: 2,
  availableReplicas: 2,
};

describe('deploymentComplete', () => {
  it.each([
    ['fully available', full, true],
    ['status from an older generation', { ...full, observedGeneration: 3 }, false],
    ['one not updated', { ...full, updatedReplicas: 1 }, false],
    ['one unavailable', { ...full, availableReplicas: 1 }, false],
    ['old pod still terminating', { ...full, replicas: 3 }, false],
    ['one not ready', { ...full, readyReplicas: 1 }, false],
    ['empty status', {}, false],
  ])('%s -> %s', (_n, status, expected) => {
    expect(deploymentComplete(deployment(2, status) as never)).toBe(expected);
  });
});

describe('computeStatus', () => {
  const cbd = minimalCr();

  function conditions(observed: Parameters<typeof computeStatus>[0]['observed']) {
    const status = computeStatus({ cbd, observed, extraConditions: [], extraFields: {}, now });
    return Object.fromEntries((status.conditions ?? []).map((c) => [c.type, c]));
  }

  it('is Ready when the Deployment is fully available, with observedGeneration everywhere', () => {
    const status = computeStatus({
      cbd,
      observed: { deployment: deployment(2, full), pods: [] },
      extraConditions: [],
      extraFields: {},
      now,
    });
    expect(status).toMatchObject({
      observedGeneration: 3,
      replicas: 2,
      readyReplicas: 2,
      selector: 'app.kubernetes.io/name=chatbot,app.kubernetes.io/instance=support',
    });
    const c = Object.fromEntries((status.conditions ?? []).map((x) => [x.type, x]));
    expect(c.Ready).toMatchObject({ status: 'True', reason: 'Available', observedGeneration: 3 });
    expect(c.Progressing).toMatchObject({ status: 'False', reason: 'Complete' });
    expect(c.Degraded).toMatchObject({ status: 'False', reason: 'AsExpected' });
    expect(c.Ready!.lastTransitionTime).toBe('2026-11-28T12:00:00Z');
  });

  it('is not Ready while rolling out', () => {
    const c = conditions({ deployment: deployment(2, { ...full, updatedReplicas: 1 }), pods: [] });
    expect(c.Ready).toMatchObject({ status: 'False', reason: 'ReplicasUpdating' });
    expect(c.Progressing).toMatchObject({ status: 'True', reason: 'ReplicasUpdating' });
  });

  it('is not Ready without a Deployment', () => {
    expect(conditions({ pods: [] }).Ready).toMatchObject({ status: 'False', reason: 'Reconciling' });
  });

  it('keeps Ready False while a component is not ready', () => {
    const c = conditions({
      deployment: deployment(2, full),
      pods: [],
      notReady: [{ reason: 'RedisProvisioning', message: 'redis is starting' }],
    });
    expect(c.Ready).toMatchObject({ status: 'False', reason: 'RedisProvisioning' });
  });

  it('appends component conditions and status fields', () => {
    const status = computeStatus({
      cbd,
      observed: { deployment: deployment(2, full), pods: [] },
      extraConditions: [{ type: 'RedisReady', status: 'True', reason: 'Ready', message: 'ok' }],
      extraFields: { redis: { shards: [] } },
      now,
    });
    expect(status.redis).toEqual({ shards: [] });
    expect(status.conditions?.map((c) => c.type)).toEqual(['Ready', 'Progressing', 'Degraded', 'RedisReady']);
  });
});

describe('computeDegraded', () => {
  const pod = (name: string, status: Record<string, unknown>): KubeObject => ({ metadata: { name }, status });
  const waiting = (reason: string, extra: Record<string, unknown> = {}) => ({
    containerStatuses: [{ name: 'bot', state: { waiting: { reason, message: 'boom' } }, ...extra }],
  });

  it.each([
    [
      'unschedulable pod',
      [
        pod('p1', {
          conditions: [
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message: '0/3 nodes are available',
            },
          ],
        }),
      ],
      'Unschedulable',
      /pod p1 cannot be scheduled: 0\/3 nodes are available.*spec.placement/,
    ],
    [
      'image pull',
      [pod('p1', waiting('ImagePullBackOff'))],
      'ImagePullFailed',
      /cannot pull its image.*spec.runtime.image/,
    ],
    ['bad image name', [pod('p1', waiting('InvalidImageName'))], 'ImagePullFailed', /InvalidImageName/],
    [
      'crash loop',
      [
        pod(
          'p1',
          waiting('CrashLoopBackOff', { restartCount: 4, lastState: { terminated: { exitCode: 137 } } }),
        ),
      ],
      'CrashLooping',
      /crash-looping \(4 restarts, last exit code 137\).*kubectl logs p1 -c bot --previous/,
    ],
    ['missing secret', [pod('p1', waiting('CreateContainerConfigError'))], 'ContainerConfigError', /Secrets/],
    [
      'healthy pods',
      [pod('p1', { containerStatuses: [{ name: 'bot', state: { running: {} } }] })],
      'AsExpected',
      /no problem/,
    ],
    [
      'starting container is not a problem',
      [pod('p1', waiting('ContainerCreating'))],
      'AsExpected',
      /no problem/,
    ],
  ])('%s -> %s', (_n, pods, reason, message) => {
    const c = computeDegraded({ pods });
    expect(c.reason).toBe(reason);
    expect(c.status).toBe(reason === 'AsExpected' ? 'False' : 'True');
    expect(c.message).toMatch(message);
  });

  it('reports the Deployment ReplicaFailure before pod problems', () => {
    const d = deployment(2, {
      conditions: [
        {
          type: 'ReplicaFailure',
          status: 'True',
          reason: 'FailedCreate',
          message: 'forbidden: violates PodSecurity',
        },
      ],
    });
    const c = computeDegraded({ deployment: d, pods: [pod('p1', waiting('ImagePullBackOff'))] });
    expect(c).toMatchObject({
      reason: 'ReplicaFailure',
      message: expect.stringMatching(/violates PodSecurity.*Pod Security/),
    });
  });

  it('reports a progress deadline', () => {
    const d = deployment(2, {
      conditions: [
        { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'x' },
      ],
    });
    expect(computeDegraded({ deployment: d, pods: [] }).reason).toBe('ProgressDeadlineExceeded');
  });

  it('reports an apply failure first', () => {
    expect(computeDegraded({ pods: [], applyError: '422 invalid' })).toMatchObject({
      reason: 'ReconcileFailed',
      status: 'True',
    });
  });

  it('ignores terminating pods and picks problems in name order', () => {
    const terminating: KubeObject = {
      metadata: { name: 'a', deletionTimestamp: 'x' },
      status: waiting('ImagePullBackOff'),
    };
    const c = computeDegraded({
      pods: [pod('c', waiting('CrashLoopBackOff')), terminating, pod('b', waiting('ErrImagePull'))],
    });
    expect(c.message).toMatch(/pod b/);
  });
});

describe('mergeConditions', () => {
  const earlier = '2026-01-01T00:00:00Z';
  const prev = [
    {
      type: 'Ready',
      status: 'True' as const,
      reason: 'Available',
      message: 'm',
      lastTransitionTime: earlier,
      observedGeneration: 1,
    },
  ];

  it('keeps lastTransitionTime when the status is unchanged, even if reason/message change', () => {
    const [c] = mergeConditions(
      prev,
      [{ type: 'Ready', status: 'True', reason: 'Available', message: 'other' }],
      2,
      now,
    );
    expect(c).toEqual({
      type: 'Ready',
      status: 'True',
      reason: 'Available',
      message: 'other',
      lastTransitionTime: earlier,
      observedGeneration: 2,
    });
  });

  it('moves lastTransitionTime when the status changes', () => {
    const [c] = mergeConditions(
      prev,
      [{ type: 'Ready', status: 'False', reason: 'X', message: 'y' }],
      2,
      now,
    );
    expect(c!.lastTransitionTime).toBe(rfc3339(now));
  });
});
