import { describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../workload/types.js';
import type { LagObservation, WorkerScalingDecision } from './scaling/types.js';
import { workerEvents, workersReadyCondition, workersStatus } from './status.js';

const T = Date.parse('2026-01-01T00:00:00Z');
const lag = (n: number, partitions = 6): LagObservation => ({
  kind: 'lag',
  lag: n,
  partitions,
  observedAt: T,
});
const unavailable: LagObservation = {
  kind: 'unavailable',
  reason: 'KafkaUnavailable',
  message: 'down',
  observedAt: T,
};
const decision = (
  desiredReplicas: number,
  over: Partial<WorkerScalingDecision> = {},
): WorkerScalingDecision => ({
  desiredReplicas,
  reason: 'LagWithinTarget',
  message: `wants ${desiredReplicas}`,
  lag: 20,
  state: {},
  ...over,
});
function deployment(replicas: number, ready: number, settled = true): KubeObject {
  return {
    metadata: { name: 'support-worker', generation: 4 },
    spec: { replicas },
    status: { observedGeneration: settled ? 4 : 3, replicas, readyReplicas: ready },
  };
}

describe('workersStatus', () => {
  it('counts from the Deployment, desired/lag/partitions/reason from the decision and reading', () => {
    const s = workersStatus({
      deployment: deployment(2, 1),
      observation: lag(20),
      decision: decision(2, { state: { lastScaleAt: T } }),
    });
    expect(s).toEqual({
      replicas: 2,
      readyReplicas: 1,
      desiredReplicas: 2,
      lag: 20,
      partitions: 6,
      reason: 'LagWithinTarget',
      message: 'wants 2',
      lastScaleTime: '2026-01-01T00:00:00Z',
    });
  });

  it('no data: lag and partitions absent (never 0), counts 0 before the Deployment exists', () => {
    const s = workersStatus({
      deployment: undefined,
      observation: unavailable,
      decision: decision(1, { reason: 'LagUnavailable', message: 'unavailable' }),
    });
    expect(s).toEqual({
      replicas: 0,
      readyReplicas: 0,
      desiredReplicas: 1,
      reason: 'LagUnavailable',
      message: 'unavailable',
    });
    expect('lag' in s).toBe(false);
  });

  it('bounds the message to the CRD maximum', () => {
    const s = workersStatus({
      deployment: undefined,
      observation: lag(1),
      decision: decision(1, { message: 'x'.repeat(5000) }),
    });
    expect(s.message).toHaveLength(1024);
  });
});

describe('workersReadyCondition', () => {
  it.each([
    { what: 'all desired pods ready', d: deployment(2, 2), o: lag(10), n: 2, want: ['True', 'Available'] },
    { what: 'scaled to zero', d: deployment(0, 0), o: lag(0), n: 0, want: ['True', 'ScaledToZero'] },
    { what: 'pods starting', d: deployment(2, 1), o: lag(10), n: 2, want: ['False', 'WaitingForPods'] },
    { what: 'Deployment not applied yet', d: undefined, o: lag(10), n: 1, want: ['False', 'WaitingForPods'] },
    {
      what: 'scale-up decided, not applied',
      d: deployment(1, 1),
      o: lag(30),
      n: 3,
      want: ['False', 'WaitingForPods'],
    },
    {
      what: 'new spec not observed yet',
      d: deployment(2, 2, false),
      o: lag(10),
      n: 2,
      want: ['False', 'WaitingForPods'],
    },
    { what: 'lag unreadable', d: deployment(2, 2), o: unavailable, n: 2, want: ['False', 'LagUnavailable'] },
  ])('$what -> $want', ({ d, o, n, want }) => {
    const c = workersReadyCondition({ deployment: d, observation: o, decision: decision(n) });
    expect(c.type).toBe('WorkersReady');
    expect([c.status, c.reason]).toEqual(want);
  });
});

describe('workerEvents (transitions only)', () => {
  const at = (n: number, o: LagObservation = lag(5)) => ({
    deployment: undefined,
    observation: o,
    decision: decision(n),
  });
  it.each([
    { what: 'first decision after start', prev: {}, o: at(2), want: [] },
    { what: 'same count', prev: { desiredReplicas: 2, lagUnavailable: false }, o: at(2), want: [] },
    { what: 'scaled up', prev: { desiredReplicas: 2 }, o: at(4), want: ['Normal/WorkersScaled'] },
    { what: 'scaled to zero', prev: { desiredReplicas: 1 }, o: at(0), want: ['Normal/WorkersScaled'] },
    {
      what: 'lag became unreadable',
      prev: { desiredReplicas: 2, lagUnavailable: false },
      o: at(2, unavailable),
      want: ['Warning/WorkerLagUnavailable'],
    },
    {
      what: 'lag still unreadable',
      prev: { desiredReplicas: 2, lagUnavailable: true },
      o: at(2, unavailable),
      want: [],
    },
  ])('$what -> $want', ({ prev, o, want }) => {
    expect(workerEvents(prev, o).map((e) => `${e.type}/${e.reason}`)).toEqual(want);
  });
});
