import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import type { ComponentContext } from '../controller/component.js';
import { defaultedCbd } from '../api/fixtures.js';
import type { ChatbotDeployment, ChatbotDeploymentStatus, KubeObject } from '../workload/types.js';
import { AutoscalerComponent, autoscalingStatus, podIpEndpoints, publish } from './component.js';
import type { MetricObservation } from './core/types.js';
import { FleetAutoscaler } from './fleet-autoscaler.js';
import type { EvaluateResult } from './scaling-result.js';
import type { FleetTarget, MetricSource } from './sources/types.js';

/** A metric source answering from a script, recording what it was asked. */
class ScriptedSource implements MetricSource {
  calls: FleetTarget[] = [];
  constructor(private readonly answer: (now: number) => MetricObservation) {}
  fetch(fleet: FleetTarget, window: { now: number }): Promise<MetricObservation> {
    this.calls.push(fleet);
    return Promise.resolve(this.answer(window.now));
  }
  forget(): void {}
}

/** A sample from both pods of the tests' Deployment (deploymentWith(2)). */
const sample =
  (latencyMs: number | null, inflight = 1) =>
  (now: number) =>
    ({ kind: 'sample', time: now, latencyMs, turns: 10, inflight, podsReporting: 2 }) as MetricObservation;

function cbd(extra: { generation?: number; status?: ChatbotDeploymentStatus } = {}): ChatbotDeployment {
  const fleet = defaultedCbd(
    { scaling: { minReplicas: 2, maxReplicas: 10, intervalSeconds: 15 } },
    { namespace: 'ns', name: 'bot', generation: extra.generation ?? 1 },
  );
  return extra.status ? { ...fleet, status: extra.status } : fleet;
}

function pod(name: string, ip: string, ready = true, deleting = false): KubeObject {
  return {
    metadata: { name, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    status: { podIP: ip, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

function ctx(
  c: ChatbotDeployment,
  now: number,
  deployment?: KubeObject,
  pods: KubeObject[] = [],
): ComponentContext {
  return {
    cbd: c,
    log: pino({ level: 'silent' }),
    now: new Date(now),
    deployment,
    pods,
  };
}

const deploymentWith = (replicas: number): KubeObject => ({ metadata: { name: 'bot' }, spec: { replicas } });
const T0 = Date.parse('2026-11-28T12:00:00Z');

describe('podIpEndpoints', () => {
  it('maps pod IPs to the runtime port, bracketing IPv6', () => {
    expect(podIpEndpoints([pod('a', '10.0.0.7'), pod('b', 'fd00::5')], cbd())).toEqual([
      'http://10.0.0.7:8080',
      'http://[fd00::5]:8080',
    ]);
  });
});

describe('AutoscalerComponent', () => {
  it('starts a fleet without a Deployment at minReplicas, reading no metrics: no pod exists yet', async () => {
    const source = new ScriptedSource(sample(null, 0));
    const c = new AutoscalerComponent({ autoscaler: new FleetAutoscaler({ scrape: source }) });
    const out = await c.reconcile(ctx(cbd(), T0, undefined));
    expect(out.replicas).toBe(2);
    expect(source.calls).toHaveLength(0);
    expect(out.conditions).toContainEqual(
      expect.objectContaining({ reason: 'NoMetrics', message: 'no pods yet: the fleet is being created' }),
    );
  });

  it('scrapes only ready pods', async () => {
    const source = new ScriptedSource(sample(null, 0));
    const c = new AutoscalerComponent({ autoscaler: new FleetAutoscaler({ scrape: source }) });
    const pods = [pod('a', '10.0.0.1'), pod('b', '10.0.0.2', false), pod('c', '10.0.0.3', true, true)];
    await c.reconcile(ctx(cbd(), T0, deploymentWith(2), pods));
    expect(source.calls[0]?.podEndpoints).toEqual(['http://10.0.0.1:8080']);
  });

  it('continues from the Deployment replicas after a restart instead of dropping to min', async () => {
    const c = new AutoscalerComponent({
      autoscaler: new FleetAutoscaler({ scrape: new ScriptedSource(sample(null, 0)) }),
    });
    const out = await c.reconcile(ctx(cbd(), T0, deploymentWith(6)));
    expect(out.replicas).toBe(6);
  });

  it('evaluates once per interval and repeats the decision (without the Event) in between', async () => {
    const source = new ScriptedSource(sample(900, 1));
    const c = new AutoscalerComponent({ autoscaler: new FleetAutoscaler({ scrape: source }) });
    const first = await c.reconcile(
      ctx(cbd(), T0, deploymentWith(2), [pod('a', '10.0.0.1'), pod('b', '10.0.0.2')]),
    );
    expect(first.replicas).toBeGreaterThan(2);
    expect(first.events?.[0]).toMatchObject({ reason: 'ScaledUp', action: 'Scale' });
    expect(first.events?.[0]?.note).toContain('signal latency');
    const again = await c.reconcile(ctx(cbd(), T0 + 4000, deploymentWith(first.replicas ?? 0)));
    expect(source.calls).toHaveLength(1);
    expect(again.replicas).toBe(first.replicas);
    expect(again.events).toBeUndefined();
    expect(again.requeueAfterMs).toBe((first.requeueAfterMs ?? 0) - 4000);
    // A spec change (new generation) is evaluated at once.
    await c.reconcile(ctx(cbd({ generation: 2 }), T0 + 5000, deploymentWith(first.replicas ?? 0)));
    expect(source.calls).toHaveLength(2);
  });

  it('forget drops the fleet so the next reconcile evaluates afresh', async () => {
    const source = new ScriptedSource(sample(null, 0));
    const c = new AutoscalerComponent({ autoscaler: new FleetAutoscaler({ scrape: source }) });
    await c.reconcile(ctx(cbd(), T0, deploymentWith(2)));
    c.forget('ns/bot');
    await c.reconcile(ctx(cbd(), T0 + 1000, deploymentWith(2)));
    expect(source.calls).toHaveLength(2);
  });
});

function result(latency: number | null, reason: string, message: string): EvaluateResult {
  return {
    desiredReplicas: 3,
    statusAutoscaling: {
      desiredReplicas: 3,
      observedLatencyMs: latency,
      inflightPerPod: null,
      mode: 'stable',
      reason,
    },
    conditions: [{ type: 'SLOMet', status: 'False', reason: 'LatencyAboveTarget', message }],
  } as unknown as EvaluateResult;
}

describe('publish (status deadband)', () => {
  const live: ChatbotDeploymentStatus = {
    autoscaling: {
      desiredReplicas: 3,
      observedLatencyMs: 415,
      mode: 'stable',
      reason: 'p95 latency 415ms (signal: latency)',
    },
    conditions: [
      {
        type: 'SLOMet',
        status: 'False',
        reason: 'LatencyAboveTarget',
        message: 'p95 latency 415ms, target 300ms',
        lastTransitionTime: '2026-11-28T12:00:00Z',
      },
    ],
  };

  it.each([
    ['latency within 10 % keeps what is written', 430, 'p95 latency 430ms (signal: latency)', 415],
    ['latency beyond 10 % is published', 480, 'p95 latency 480ms (signal: latency)', 480],
    ['a reason of another shape is published', 430, 'scaling paused (signal: none)', 430],
  ])('%s', (_what, latency, reason, expected) => {
    const out = publish(
      result(latency, reason, `p95 latency ${latency}ms, target 300ms`),
      cbd({ status: live }),
    );
    expect(out.autoscaling.observedLatencyMs).toBe(expected);
    expect(out.conditions[0]?.message).toBe(`p95 latency ${expected}ms, target 300ms`);
  });

  it('omits null readings (not nullable in the CRD) and keeps the written lastScaleTime', () => {
    const s = autoscalingStatus(
      { desiredReplicas: 2, observedLatencyMs: null, inflightPerPod: null, mode: 'fallback', reason: 'x' },
      '2026-11-28T11:00:00.000Z',
    );
    expect(s).toEqual({
      desiredReplicas: 2,
      mode: 'fallback',
      reason: 'x',
      lastScaleTime: '2026-11-28T11:00:00.000Z',
    });
  });
});
