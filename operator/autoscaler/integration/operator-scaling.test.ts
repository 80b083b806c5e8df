/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument --
   These tests inspect raw Kubernetes JSON (kubectl -o json); typing every field would add nothing. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  autoscaler,
  bots,
  deployment,
  events,
  INTERVAL_S,
  load,
  NAME,
  ns,
  operatorMetrics,
  registry,
  samples,
  setupOperatorScaling,
  SLO_MS,
  spec,
  STABILIZATION_S,
  teardownOperatorScaling,
  waitForOrDiagnose,
} from './operator-scaling-support.js';
import { applyCr, condition, getCr, kubectl, reconcileWrites, waitFor } from '../../integration/support.js';
import { PAUSED_ANNOTATION } from '../policy.js';
import { sleep } from './support.js';

beforeAll(setupOperatorScaling, 180_000);
afterAll(teardownOperatorScaling);

describe('operator with the SLO autoscaler component, real bot runtimes behind kwok pods', () => {
  it('starts a new fleet at minReplicas, then scales up while p95 exceeds the SLO and says why', async () => {
    await applyCr(ns, NAME, spec);
    const first = await waitFor('Deployment created', () => deployment().catch(() => undefined));
    expect(first.spec.replicas).toBe(1);
    await waitFor('first sample from the real runtime', () => Promise.resolve(samples().length > 0));

    load.start(bots[0]!.url, 4);
    const scaled = await waitForOrDiagnose(
      'Deployment scaled up',
      async () => {
        const d = await deployment();
        return d.spec.replicas >= 2 ? d : undefined;
      },
      90_000,
    );
    expect(scaled.spec.replicas).toBeGreaterThanOrEqual(2);
    const up = await waitFor('ScaledUp Event', async () => {
      const list = await events('ScaledUp');
      return list.length > 0 ? list : undefined;
    });
    expect(up[0].note).toMatch(
      /^Scaled from 1 to \d replicas; signal latency: p95 latency \d+ms vs target 300ms/,
    );

    // With the latency still over target the count reaches maxReplicas and the status explains the cap.
    const cbd = await waitFor(
      'ScalingLimited at maxReplicas',
      async () => {
        const c = await getCr(ns, NAME);
        return condition(c, 'ScalingLimited')?.reason === 'TooManyReplicas' ? c : undefined;
      },
      90_000,
    );
    expect((await deployment()).spec.replicas).toBe(3);
    expect(cbd.status.autoscaling).toMatchObject({ desiredReplicas: 3, mode: 'stable' });
    expect(cbd.status.autoscaling.observedLatencyMs).toBeGreaterThan(SLO_MS);
    expect(cbd.status.autoscaling.reason).toMatch(/\(signal: latency\)$/);
    expect(typeof cbd.status.autoscaling.lastScaleTime).toBe('string');
    expect(condition(cbd, 'SLOMet')).toMatchObject({ status: 'False', reason: 'LatencyAboveTarget' });
    expect(condition(cbd, 'ScalingActive')).toMatchObject({ status: 'True', reason: 'ValidMetricSignal' });
    expect(condition(cbd, 'ScalingLimited')).toMatchObject({ status: 'True' });
    expect(condition(cbd, 'FallbackActive')).toMatchObject({ status: 'False' });
    expect(condition(cbd, 'SLOMet').observedGeneration).toBe(cbd.metadata.generation);

    const metrics = await operatorMetrics();
    const labels = `{namespace="${ns}",name="${NAME}"}`;
    expect(metrics.get(`chatfleet_autoscaler_desired_replicas${labels}`)).toBe(3);
    expect(metrics.get(`chatfleet_autoscaler_observed_latency_seconds${labels}`)).toBeGreaterThan(
      SLO_MS / 1000,
    );
    expect(metrics.get(`chatfleet_autoscaler_mode{namespace="${ns}",name="${NAME}",mode="stable"}`)).toBe(1);
    expect(load.turns).toBeGreaterThan(0);

    // Steady overload at maxReplicas: while the latency stays inside the status deadband (10 % of
    // what the status says), neither the status nor the Deployment is rewritten. How still the load's
    // latency holds is not up to this test on a shared 2-core machine (a busy neighbour moved it from
    // 1425 to 988 ms once), so a window whose samples left the band proves nothing either way: up to
    // four windows are observed, and the first steady one must show no write at all.
    await waitFor('3 ready pods', async () =>
      (await getCr(ns, NAME)).status.readyReplicas === 3 ? true : undefined,
    );
    const settled = Date.now();
    await waitFor('two evaluations with 3 ready pods', () =>
      Promise.resolve(samples().filter((s) => s.time > settled).length >= 2),
    );
    const unsteady: number[][] = [];
    for (;;) {
      const before = await reconcileWrites(registry);
      const statusBefore = (await getCr(ns, NAME)).status;
      const from = Date.now();
      await waitFor('five evaluations at maxReplicas', () =>
        Promise.resolve(samples().filter((s) => s.time > from && (s.latencyMs ?? 0) > SLO_MS).length >= 5),
      );
      const statusAfter = (await getCr(ns, NAME)).status;
      const written = Number(statusBefore.autoscaling.observedLatencyMs);
      const seen = samples()
        .filter((s) => s.time > from)
        .map((s) => s.latencyMs ?? 0);
      if (seen.every((ms) => Math.abs(ms - written) <= Math.max(10, 0.1 * written))) {
        expect({ writes: await reconcileWrites(registry), status: statusAfter }).toEqual({
          writes: before,
          status: statusBefore,
        });
        break;
      }
      unsteady.push(seen);
      if (unsteady.length === 4)
        throw new Error(`no steady window of latency samples: ${JSON.stringify(unsteady)}`);
    }
  }, 300_000);

  it('scales back down to minReplicas after the stabilization window once the load stops', async () => {
    await load.stop();
    const stoppedAt = Date.now();
    await waitFor(
      'Deployment back at minReplicas',
      async () => ((await deployment()).spec.replicas === 1 ? true : undefined),
      90_000,
    );
    const cbd = await getCr(ns, NAME);
    expect(cbd.status.autoscaling.desiredReplicas).toBe(1);
    // The slow turns stay in the 10 s metrics window, then the 10 s scale-down window holds the count.
    expect(Date.parse(cbd.status.autoscaling.lastScaleTime)).toBeGreaterThanOrEqual(
      stoppedAt + STABILIZATION_S * 1000,
    );
    expect(condition(cbd, 'SLOMet')?.status).not.toBe('False');
    const down = await waitFor('ScaledDown Event', async () => {
      const list = await events('ScaledDown');
      return list.length > 0 ? list : undefined;
    });
    expect(down.map((e) => e.note).join('\n')).toMatch(/Scaled from [23] to 1 replicas; signal \w+: /);
  }, 150_000);

  it('writes nothing in steady state while it keeps evaluating', async () => {
    await waitFor('fleet settled at 1 ready pod', async () => {
      const cbd = await getCr(ns, NAME);
      return cbd.status.readyReplicas === 1 && cbd.status.replicas === 1 ? true : undefined;
    });
    // Let the status catch up with the settled fleet (one write at most), then measure.
    const settledAt = Date.now();
    await waitFor('two evaluations after settling', () =>
      Promise.resolve(samples().filter((s) => s.time > settledAt).length >= 2),
    );
    const before = await reconcileWrites(registry);
    const from = Date.now();
    await waitFor('five more evaluations', () =>
      Promise.resolve(samples().filter((s) => s.time > from).length >= 5),
    );
    expect(samples().at(-1)?.podsReporting).toBe(1);
    expect(await reconcileWrites(registry)).toBe(before);
  }, 120_000);

  it('holds the count while paused (spec.scaling.paused, then the annotation) and resumes after', async () => {
    await applyCr(ns, NAME, { ...spec, scaling: { ...spec.scaling, paused: true } });
    await waitFor('ScalingActive False ScalingPaused', async () =>
      condition(await getCr(ns, NAME), 'ScalingActive')?.reason === 'ScalingPaused' ? true : undefined,
    );
    const pausedAt = Date.now();
    load.start(bots[0]!.url, 4);
    const slowSamples = (): number =>
      samples().filter((s) => s.time > pausedAt && (s.latencyMs ?? 0) > SLO_MS).length;
    await waitFor(
      'latency above the SLO observed while paused',
      () => Promise.resolve(slowSamples() >= 2),
      60_000,
    );
    expect((await deployment()).spec.replicas).toBe(1);

    // The annotation alone holds it too (no generation change: the component re-evaluates on it).
    await kubectl(['-n', ns, 'annotate', 'cbd', NAME, `${PAUSED_ANNOTATION}=true`]);
    await applyCr(ns, NAME, spec);
    const unpausedSpecAt = Date.now();
    await waitFor('more slow samples with only the annotation', () =>
      Promise.resolve(
        samples().filter((s) => s.time > unpausedSpecAt && (s.latencyMs ?? 0) > SLO_MS).length >= 3,
      ),
    );
    expect((await deployment()).spec.replicas).toBe(1);
    const cbd = await getCr(ns, NAME);
    expect(cbd.status.autoscaling.desiredReplicas).toBe(1);
    expect(condition(cbd, 'ScalingActive')?.reason).toBe('ScalingPaused');
    expect((await events('ScaledUp')).filter((e) => Date.parse(e.eventTime) > pausedAt)).toEqual([]);

    await kubectl(['-n', ns, 'annotate', 'cbd', NAME, `${PAUSED_ANNOTATION}-`]);
    await waitFor(
      'scale-up once resumed',
      async () => ((await deployment()).spec.replicas >= 2 ? true : undefined),
      60_000,
    );
    await load.stop();
  }, 180_000);

  it('drops the fleet from the operator metrics when the ChatbotDeployment is deleted', async () => {
    const labels = `{namespace="${ns}",name="${NAME}"}`;
    expect((await operatorMetrics()).has(`chatfleet_autoscaler_desired_replicas${labels}`)).toBe(true);
    await kubectl(['-n', ns, 'delete', 'cbd', NAME, '--wait=true']);
    await waitFor('per-fleet series removed', async () =>
      (await operatorMetrics()).has(`chatfleet_autoscaler_desired_replicas${labels}`) ? undefined : true,
    );
    expect(autoscaler.inspect(`${ns}/${NAME}`)).toBeUndefined();
    await sleep(INTERVAL_S * 1000);
    expect((await operatorMetrics()).has(`chatfleet_autoscaler_desired_replicas${labels}`)).toBe(false);
  }, 60_000);
});
