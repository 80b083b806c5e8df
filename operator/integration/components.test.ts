/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment --
   These tests inspect raw Kubernetes JSON (kubectl -o json); typing every field would add nothing. */
import { describe, expect, it } from '@jest/globals';
import type { Contribution, FleetComponent } from '../controller/component.js';
import {
  applyCr,
  condition,
  getCr,
  kubectl,
  kubectlJson,
  waitFor,
  waitReady,
  withOperatorNamespace,
} from './support.js';

// The extension point the autoscaler and the data plane plug into, exercised end to end with a
// small component: its env, replicas, condition and status reach the cluster, its finalizer
// holds deletion until its cleanup has run.
const FINALIZER = 'test.chatfleet.io/cleanup';

class TestComponent implements FleetComponent {
  readonly name = 'test';
  readonly finalizer = FINALIZER;
  finalized: string[] = [];
  cleanupDone = false;

  reconcile(): Promise<Contribution> {
    return Promise.resolve({
      env: [{ name: 'KAFKA_BROKERS', value: 'broker:9092' }],
      replicas: 3,
      conditions: [
        { type: 'ScalingActive', status: 'True', reason: 'MetricsAvailable', message: 'test component' },
      ],
      status: { autoscaling: { desiredReplicas: 3, mode: 'stable', reason: 'test component' } },
      finalizer: FINALIZER,
    });
  }

  finalize({ cbd }: Parameters<NonNullable<FleetComponent['finalize']>>[0]): Promise<{
    done: boolean;
    requeueAfterMs?: number;
  }> {
    this.finalized.push(cbd.metadata.name ?? '');
    // Not done the first time: the reconciler must come back (requeueAfter) before removing it.
    const done = this.cleanupDone;
    this.cleanupDone = true;
    return Promise.resolve(done ? { done } : { done, requeueAfterMs: 200 });
  }
}

describe('FleetComponent contributions', () => {
  const component = new TestComponent();
  const env = withOperatorNamespace('cf-comp', { components: () => [component] });

  it('applies contributed env, replicas, conditions, status and finalizer', async () => {
    await applyCr(env.ns, 'ext', { scaling: { minReplicas: 1, maxReplicas: 5 } });
    const cbd = await waitReady(env.ns, 'ext');
    expect(cbd.metadata.finalizers).toEqual([FINALIZER]);
    expect(condition(cbd, 'ScalingActive')).toMatchObject({
      status: 'True',
      reason: 'MetricsAvailable',
      observedGeneration: cbd.metadata.generation,
    });
    expect(cbd.status.autoscaling).toMatchObject({ desiredReplicas: 3, mode: 'stable' });
    const deploy = await kubectlJson(['-n', env.ns, 'get', 'deployment', 'ext']);
    expect(deploy.spec.replicas).toBe(3);
    expect(deploy.spec.template.spec.containers[0].env).toContainEqual({
      name: 'KAFKA_BROKERS',
      value: 'broker:9092',
    });
    expect(cbd.status.readyReplicas).toBe(3);
  });

  it('runs finalize until done, then lets the CR go', async () => {
    await kubectl(['-n', env.ns, 'delete', 'cbd', 'ext', '--wait=false']);
    await waitFor('CR gone', async () => {
      const left = await kubectl(['-n', env.ns, 'get', 'cbd', '-o', 'name']);
      return left.trim() === '' ? true : undefined;
    });
    expect(component.finalized.filter((n) => n === 'ext').length).toBeGreaterThanOrEqual(2);
    await expect(getCr(env.ns, 'ext')).rejects.toThrow(/NotFound/);
  });
});
