import { describe, expect, it } from '@jest/globals';
import { cacheOf, contextFor, noRequests } from '../dataplane/component-support.js';
import type { KubeObject } from '../workload/types.js';
import { LAG_POLL_MS, WorkersComponent } from './component.js';
import { workerCbd } from './fixtures.js';
import type { WorkerLagSource } from './lag-source.js';
import type { LagObservation } from './scaling/types.js';

const T0 = new Date('2026-01-01T00:00:00Z');

type Reading =
  { kind: 'lag'; lag: number; partitions: number } | { kind: 'unavailable'; reason: string; message: string };

/** A lag source answering from a script; counts its reads (the component must read only when due). */
function scriptedLag(...readings: Reading[]): WorkerLagSource & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    read: (_cbd, topic) => {
      reads.push(topic);
      const next = readings[Math.min(reads.length, readings.length) - 1] ?? readings[0];
      if (!next) throw new Error('scriptedLag needs a reading');
      const observation: LagObservation = { ...next, observedAt: T0.getTime() };
      return Promise.resolve(observation);
    },
    close: () => Promise.resolve(),
  };
}

/** A lag source that records which fleets it was told to forget. */
function forgettingLag(): WorkerLagSource & { forgotten: string[] } {
  const forgotten: string[] = [];
  const reading: LagObservation = { kind: 'lag', lag: 0, partitions: 3, observedAt: T0.getTime() };
  return {
    forgotten,
    read: () => Promise.resolve(reading),
    forget: (key) => forgotten.push(key),
    close: () => Promise.resolve(),
  };
}

function component(lag: WorkerLagSource, ...deployments: KubeObject[]) {
  const kube = noRequests();
  const workers = new WorkersComponent(kube, {
    lag,
    caches: { deployments: cacheOf(...deployments), podDisruptionBudgets: cacheOf() },
  });
  return { kube, workers };
}

const at = (ms: number) => new Date(T0.getTime() + ms);

describe('WorkersComponent', () => {
  it('workers off (no Kafka): contributes nothing, reads no lag, issues no request', async () => {
    const lag = scriptedLag({ kind: 'lag', lag: 5, partitions: 3 });
    const { kube, workers } = component(lag);
    const cbd = workerCbd({ messaging: undefined });
    expect(await workers.reconcile(contextFor(cbd))).toEqual({});
    expect(lag.reads).toEqual([]);
    expect(kube.calls).toEqual([]);
  });

  it('workers turned off: the fleet is forgotten here and in the lag source (its credentials with it)', async () => {
    const lag = forgettingLag();
    const { workers } = component(lag);
    await workers.reconcile(contextFor(workerCbd(), T0));
    expect(workers.fleetsTracked).toBe(1);
    await workers.reconcile(contextFor(workerCbd({ workers: { enabled: false } }), at(1000)));
    expect(workers.fleetsTracked).toBe(0);
    expect(lag.forgotten).toEqual(['team-a/support']);
  });

  it('Kafka set: the Deployment at the decided count, status, WorkersReady, a requeue at the next poll', async () => {
    const lag = scriptedLag({ kind: 'lag', lag: 35, partitions: 6 });
    const { kube, workers } = component(lag);
    const c = await workers.reconcile(contextFor(workerCbd(), T0));
    expect(lag.reads).toEqual(['team-a.support.tasks']);
    expect(c.children?.map((ch) => `${ch.resource.kind}/${ch.object.metadata.name ?? ''}`)).toEqual([
      'Deployment/support-worker',
    ]);
    const spec = c.children?.[0]?.object.spec as { replicas: number };
    expect(spec.replicas).toBe(4); // ceil(35 / 10), from 0 (outside [1, 10]) at once
    expect(c.status?.workers).toMatchObject({ desiredReplicas: 4, lag: 35, partitions: 6, replicas: 0 });
    expect(c.conditions?.[0]).toMatchObject({
      type: 'WorkersReady',
      status: 'False',
      reason: 'WaitingForPods',
    });
    expect(c.requeueAfterMs).toBe(LAG_POLL_MS);
    expect(kube.calls).toEqual([]);
  });

  it('between polls the last decision is repeated: no read, no Event, identical contribution', async () => {
    const lag = scriptedLag({ kind: 'lag', lag: 35, partitions: 6 }, { kind: 'lag', lag: 90, partitions: 6 });
    const { workers } = component(lag);
    const first = await workers.reconcile(contextFor(workerCbd(), T0));
    const again = await workers.reconcile(contextFor(workerCbd(), at(LAG_POLL_MS / 2)));
    expect(lag.reads).toHaveLength(1);
    expect(again.children).toEqual(first.children);
    expect(again.status).toEqual(first.status);
    expect(again.events).toEqual([]);
    expect(again.requeueAfterMs).toBe(LAG_POLL_MS / 2);
    const due = await workers.reconcile(contextFor(workerCbd(), at(LAG_POLL_MS)));
    expect(lag.reads).toHaveLength(2);
    expect(due.status?.workers).toMatchObject({ lag: 90 });
  });

  it('a spec change reads again at once', async () => {
    const lag = scriptedLag({ kind: 'lag', lag: 5, partitions: 6 });
    const { workers } = component(lag);
    await workers.reconcile(contextFor(workerCbd(), T0));
    const changed = workerCbd({ workers: { targetLagPerReplica: 2 } });
    changed.metadata.generation = 3;
    await workers.reconcile(contextFor(changed, at(1000)));
    expect(lag.reads).toHaveLength(2);
  });

  it('no data keeps the live count, reports LagUnavailable and warns once', async () => {
    const down = { kind: 'unavailable' as const, reason: 'KafkaUnavailable', message: 'brokers unreachable' };
    const live: KubeObject = {
      metadata: { name: 'support-worker', namespace: 'team-a', generation: 1 },
      spec: { replicas: 3 },
      status: { observedGeneration: 1, replicas: 3, readyReplicas: 3 },
    };
    const { workers } = component(scriptedLag(down), live);
    const first = await workers.reconcile(contextFor(workerCbd(), T0));
    expect((first.children?.[0]?.object.spec as { replicas: number }).replicas).toBe(3);
    expect(first.status?.workers).not.toHaveProperty('lag');
    expect(first.conditions?.[0]).toMatchObject({ status: 'False', reason: 'LagUnavailable' });
    expect(first.events?.map((e) => e.reason)).toEqual(['WorkerLagUnavailable']);
    const second = await workers.reconcile(contextFor(workerCbd(), at(LAG_POLL_MS)));
    expect(second.events).toEqual([]);
  });

  it('a scale step is an Event; minReplicas >= 2 adds the PDB', async () => {
    const lag = scriptedLag(
      { kind: 'lag', lag: 20, partitions: 10 },
      { kind: 'lag', lag: 60, partitions: 10 },
    );
    const { workers } = component(lag);
    const cbd = workerCbd({ workers: { minReplicas: 2, stabilizationSeconds: 0 } });
    const first = await workers.reconcile(contextFor(cbd, T0));
    expect(first.children?.map((ch) => ch.resource.kind)).toEqual(['Deployment', 'PodDisruptionBudget']);
    const next = await workers.reconcile(contextFor(cbd, at(LAG_POLL_MS)));
    expect(next.events?.map((e) => `${e.reason}: ${e.note.split(' (')[0] ?? ''}`)).toEqual([
      'WorkersScaled: worker replicas 2 -> 6',
    ]);
  });

  it('explicit topics without a tasks topic: no Deployment, WorkersReady False NoTasksTopic', async () => {
    const lag = scriptedLag({ kind: 'lag', lag: 0, partitions: 1 });
    const { workers } = component(lag);
    const cbd = workerCbd({
      messaging: { kafka: { bootstrapServers: ['k:9092'], topics: [{ name: 'x' }] } },
    });
    const c = await workers.reconcile(contextFor(cbd, T0));
    expect(c.children).toBeUndefined();
    expect(c.conditions?.[0]).toMatchObject({ status: 'False', reason: 'NoTasksTopic' });
    expect(lag.reads).toEqual([]);
  });

  it('runs the image the stable bots run (during a rollout, not the spec new one), rolls with their Redis password', async () => {
    const { workers } = component(scriptedLag({ kind: 'lag', lag: 0, partitions: 3 }));
    const ctx = contextFor(workerCbd({ runtime: { image: 'bot:2.0' } }), T0);
    ctx.deployment = {
      metadata: { name: 'support' },
      spec: {
        template: {
          metadata: { annotations: { 'chatfleet.io/redis-password-hash': 'p2', other: 'x' } },
          spec: { containers: [{ name: 'bot', image: 'bot:1.0' }] },
        },
      },
    };
    const c = await workers.reconcile(ctx);
    const pod = c.children?.[0]?.object.spec as {
      template: {
        metadata: { annotations: Record<string, string> };
        spec: { containers: { image: string }[] };
      };
    };
    expect(pod.template.spec.containers[0]?.image).toBe('bot:1.0');
    // The bots' Redis password stamp rolls the workers too; nothing else of the bots' template is copied.
    expect(pod.template.metadata.annotations['chatfleet.io/redis-password-hash']).toBe('p2');
    expect(pod.template.metadata.annotations.other).toBeUndefined();
  });
});
