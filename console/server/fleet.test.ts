import { describe, expect, it } from '@jest/globals';
import { detail, fleetEvent, summarize } from './fleet.js';

const cbd = (status: unknown, spec: unknown = {}): unknown => ({
  metadata: { namespace: 'ns', name: 'bot', resourceVersion: '7' },
  spec: { model: { name: 'm', version: 'v2' }, ...(spec as object) },
  status,
});

describe('summarize', () => {
  it.each([
    [
      'no status: no data, never zeros',
      undefined,
      { observedLatencyMs: null, desiredReplicas: null, readyReplicas: null, ready: 'Unknown', mode: null },
    ],
    [
      'status the operator writes',
      {
        readyReplicas: 2,
        autoscaling: { desiredReplicas: 3, observedLatencyMs: 120.5, mode: 'panic' },
        conditions: [{ type: 'Ready', status: 'True' }],
      },
      { observedLatencyMs: 120.5, desiredReplicas: 3, readyReplicas: 2, ready: 'True', mode: 'panic' },
    ],
    [
      'wrong types read as absent',
      {
        readyReplicas: '2',
        autoscaling: { desiredReplicas: 'x', observedLatencyMs: Infinity, mode: 5 },
        conditions: 'nope',
      },
      { observedLatencyMs: null, desiredReplicas: null, readyReplicas: null, ready: 'Unknown', mode: null },
    ],
  ])('%s', (_what, status, want) => expect(summarize(cbd(status))).toMatchObject(want));

  it('takes the SLO from the spec, defaults from the CRD otherwise', () => {
    expect(summarize(cbd({}, { slo: { latency: { percentile: 99, targetMs: 150 } } }))).toMatchObject({
      sloPercentile: 99,
      sloTargetMs: 150,
    });
    expect(summarize(cbd({}))).toMatchObject({ sloPercentile: 95, sloTargetMs: 300 });
  });
});

describe('detail', () => {
  it('keeps rollout steps, analysis, shards and topics, bounded', () => {
    const d = detail(
      cbd(
        {
          rollout: {
            phase: 'Progressing',
            currentStepIndex: 1,
            canaryWeight: 20,
            lastAnalysis: [{ metric: 'latency', canary: 0.2, stable: 0.18, verdict: 'pass' }],
          },
          redis: { shards: [{ index: 0, primary: 'p:6379', replicas: 1, slots: '0-16383', ready: true }] },
          topics: Array.from({ length: 100 }, (_, i) => ({ name: `t${i}`, partitions: 3, ready: i > 0 })),
          conditions: [{ type: 'Ready', status: 'False', reason: 'Progressing', message: 'm'.repeat(5000) }],
        },
        { rollout: { steps: [{}, {}, {}] } },
      ),
    );
    expect(d.rollout).toMatchObject({
      currentStepIndex: 1,
      totalSteps: 3,
      analysis: [{ metric: 'latency', verdict: 'pass' }],
    });
    expect(d.shards).toEqual([{ index: 0, primary: 'p:6379', replicas: 1, slots: '0-16383', ready: true }]);
    expect(d.topics).toHaveLength(64);
    expect(d.topics[0]).toMatchObject({ name: 't0', ready: false });
    expect(d.conditions[0]?.message).toHaveLength(1024);
  });
});

describe('fleetEvent', () => {
  it.each([
    ['not about a fleet', { regarding: { kind: 'Pod', name: 'x' } }, undefined],
    [
      'a fleet Event',
      {
        metadata: { uid: 'u1', namespace: 'ns' },
        regarding: { kind: 'ChatbotDeployment', name: 'bot', namespace: 'ns' },
        type: 'Warning',
        reason: 'ScaledUp',
        note: 'to 3',
        eventTime: '2026-01-01T00:00:00Z',
      },
      {
        uid: 'u1',
        namespace: 'ns',
        fleet: 'bot',
        type: 'Warning',
        reason: 'ScaledUp',
        note: 'to 3',
        time: '2026-01-01T00:00:00Z',
        count: 1,
      },
    ],
    [
      'a series keeps its count and last time',
      {
        metadata: { uid: 'u2' },
        regarding: { kind: 'ChatbotDeployment', name: 'bot', namespace: 'ns' },
        series: { count: 4, lastObservedTime: '2026-01-02T00:00:00Z' },
      },
      {
        uid: 'u2',
        namespace: 'ns',
        fleet: 'bot',
        type: 'Normal',
        reason: '',
        note: '',
        time: '2026-01-02T00:00:00Z',
        count: 4,
      },
    ],
  ])('%s', (_what, raw, want) => expect(fleetEvent(raw)).toEqual(want));
});
