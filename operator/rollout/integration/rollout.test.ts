/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return --
   These tests inspect raw Kubernetes JSON (kubectl -o json); typing every field would add nothing. */
// Progressive delivery against the real API server (kwok pods): the operator in-process with the rollout
// component. kwok pods serve no turns, so every analysis check is Inconclusive here: the rollout must hold
// and never promote on no data. Real traffic through real bot pods is the real-node e2e's job.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  applyCr,
  condition,
  getCr,
  kubectlJson,
  metricValue,
  waitFor,
  waitReady,
} from '../../integration/support.js';

import {
  FAST,
  model,
  ns,
  operator,
  rolloutOf,
  deployment,
  routing,
  version,
  waitPhase,
  startRollout,
  setupRollout,
  teardownRollout,
} from './rollout-fixture.js';

beforeAll(() => setupRollout('ro-int'));
afterAll(teardownRollout);

describe('a model change on a Ready fleet', () => {
  const name = 'canary';
  let stableGeneration: number;

  it('starts at Idle with the routing object of no rollout', async () => {
    await applyCr(ns, name, { ...FAST, ...model('v1') });
    await waitReady(ns, name);
    const r = await waitPhase(name, 'Idle');
    expect(r).toMatchObject({ stableVersion: 'v1', canaryWeight: 0 });
    expect(await routing(name)).toMatchObject({
      stableVersion: 'v1',
      canaryVersion: null,
      canaryWeight: 0,
      aborted: false,
    });
    const role = await kubectlJson(['-n', ns, 'get', 'role', `${name}-routing-reader`]);
    expect(role.rules).toEqual([
      {
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: [`${name}-routing`],
        verbs: ['get', 'list', 'watch'],
      },
    ]);
    const binding = await kubectlJson(['-n', ns, 'get', 'rolebinding', `${name}-routing-reader`]);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name, namespace: ns }]);
    const stable = await deployment(name);
    expect(stable.spec.template.spec.automountServiceAccountToken).toBe(true);
    stableGeneration = stable.metadata.generation;
  });

  it('creates <name>-canary with the new version; the stable Deployment is untouched', async () => {
    const before = await routing(name);
    await applyCr(ns, name, { ...FAST, ...model('v2') });
    const canary = await waitFor('canary Deployment', async () => deployment(`${name}-canary`));
    expect(version(canary)).toBe('v2');
    expect(canary.spec.selector.matchLabels['chatfleet.io/track']).toBe('canary');
    const r = await waitFor('weight 10', async () => {
      const s = await rolloutOf(name);
      return s?.canaryWeight === 10 ? s : undefined;
    });
    expect(r).toMatchObject({ phase: 'Progressing', stableVersion: 'v1', canaryVersion: 'v2' });
    expect(r.startedAt).toBeDefined();
    const after = await routing(name);
    expect(after).toMatchObject({
      stableVersion: 'v1',
      canaryVersion: 'v2',
      canaryWeight: 10,
      aborted: false,
    });
    expect(after.generation).toBeGreaterThan(before.generation);
    const stable = await deployment(name);
    expect(version(stable)).toBe('v1');
    expect(stable.metadata.generation).toBe(stableGeneration);
  });

  it('keeps the two Deployments apart although the stable selector matches canary pods', async () => {
    await waitFor(
      'canary pod Ready',
      async () => (await deployment(`${name}-canary`))?.status?.readyReplicas >= 1,
    );
    const all = (await kubectlJson(['-n', ns, 'get', 'pods', '-l', `app.kubernetes.io/instance=${name}`]))
      .items;
    const canaryPods = all.filter((p: any) => p.metadata.labels['chatfleet.io/track'] === 'canary');
    expect(canaryPods.length).toBeGreaterThanOrEqual(1);
    for (const p of canaryPods) {
      expect(p.metadata.ownerReferences[0].name).toMatch(new RegExp(`^${name}-canary-`));
      expect(p.metadata.labels['chatfleet.io/model-version']).toBe('v2');
    }
    const stable = await deployment(name);
    expect(stable.status.replicas).toBe(2); // its own pods only
    const svc = await kubectlJson(['-n', ns, 'get', 'service', name]);
    expect(svc.spec.selector).not.toHaveProperty('chatfleet.io/track');
    const canarySvc = await kubectlJson(['-n', ns, 'get', 'service', `${name}-canary`]);
    expect(canarySvc.spec.selector['chatfleet.io/track']).toBe('canary');
  });

  it('holds as Inconclusive on no data and never promotes', async () => {
    const r = await waitFor(
      'an analysis',
      async () => {
        const s = await rolloutOf(name);
        return (s?.lastAnalysis ?? []).length > 0 ? s : undefined;
      },
      60_000,
    );
    expect(r.lastAnalysis.map((a: any) => a.verdict)).toEqual(r.lastAnalysis.map(() => 'Inconclusive'));
    expect(r.phase).not.toBe('Promoted');
    expect(r.canaryWeight).toBe(10);
    expect(r.failedChecks).toBe(0);
    expect(condition(await getCr(ns, name), 'Progressing')).toMatchObject({
      status: expect.stringMatching(/True|Unknown/),
    });
    expect(
      await metricValue(operator.rolloutRegistry, 'chatfleet_rollout_analysis_total', {
        name,
        verdict: 'Inconclusive',
      }),
    ).toBeGreaterThan(0);
    expect(await metricValue(operator.rolloutRegistry, 'chatfleet_rollout_canary_weight', { name })).toBe(10);
    expect(
      await metricValue(operator.rolloutRegistry, 'chatfleet_rollout_phase', { name, phase: r.phase }),
    ).toBe(1);
    expect(version(await deployment(name))).toBe('v1');
  });
});

describe('strategy Immediate', () => {
  it('skips the canary and updates the stable Deployment in place', async () => {
    const name = 'immediate';
    await startRollout(name, { rollout: { ...FAST.rollout, strategy: 'Immediate' } });
    await waitFor('stable at v2', async () => version(await deployment(name)) === 'v2');
    const r = await waitPhase(name, 'Promoted');
    expect(r.stableVersion).toBe('v2');
    const stable = await deployment(name);
    expect(stable.status.observedGeneration).toBe(stable.metadata.generation);
    expect(stable.status.updatedReplicas).toBe(stable.spec.replicas);
    expect(await deployment(`${name}-canary`)).toBeUndefined();
  });
});
