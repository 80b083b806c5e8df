/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access --
   These tests inspect built manifests; typing every field would add nothing. */
import { describe, expect, it } from '@jest/globals';
import { minimalCr } from '../workload/fixtures.js';
import { emptyContributions, mergeContribution } from './component.js';
import { planChildren } from './plan.js';
import type { FleetCaches, ObjectCache } from './reconciler.js';

const empty: ObjectCache = { get: () => undefined, list: () => [] };
const caches: FleetCaches = {
  fleets: empty,
  deployments: empty,
  services: empty,
  podDisruptionBudgets: empty,
  serviceAccounts: empty,
  configMaps: empty,
  pods: empty,
};
const cbd = minimalCr({ scaling: { minReplicas: 2, maxReplicas: 6 } });
const v8 = { version: 'v8', model: { name: 'support-bot', version: 'v8' }, image: 'registry.local/bot:1.1' };
const v7 = { version: 'v7', model: { name: 'support-bot', version: 'v7' }, image: 'registry.local/bot:1.0' };

function deployments(contributions: Parameters<typeof mergeContribution>[1][]): Record<string, any> {
  const merged = contributions.reduce(mergeContribution, emptyContributions());
  const plans = planChildren(cbd, merged, caches).filter((p) => p.resource.kind === 'Deployment');
  return Object.fromEntries(plans.map((p) => [p.name, p.desired]));
}

describe('planChildren: one owner of spec.replicas per Deployment, composed explicitly', () => {
  it('without a rollout: one stable Deployment at the autoscaler replicas, no canary (deleted if left over)', () => {
    const d = deployments([{ replicas: 4 }]);
    expect(d.support.spec.replicas).toBe(4);
    expect(d['support-canary']).toBeUndefined();
    expect(Object.keys(d)).toEqual(['support', 'support-canary']);
  });

  it.each([
    // autoscaler replicas, canary share -> stable, canary
    [4, 0.1, 4, 1],
    [4, 0.5, 4, 4],
    [4, 0, 4, 0],
    [undefined, 0.25, 2, 1],
  ])(
    'autoscaler %s, canary share %d -> stable %i, canary %i; in either component order',
    (replicas, share, stable, canary) => {
      const autoscaler = replicas === undefined ? {} : { replicas };
      const rollout = {
        tracks: { stable: v7, canary: { revision: v8, share }, routingConfigMap: 'support-routing' },
      };
      for (const order of [
        [autoscaler, rollout],
        [rollout, autoscaler],
      ]) {
        const d = deployments(order);
        expect([d.support.spec.replicas, d['support-canary'].spec.replicas]).toEqual([stable, canary]);
        expect(d.support.spec.template.metadata.labels['chatfleet.io/model-version']).toBe('v7');
        expect(d['support-canary'].spec.template.metadata.labels['chatfleet.io/model-version']).toBe('v8');
      }
    },
  );

  it('reads component children that opt in from the cache, others with a GET', () => {
    const merged = mergeContribution(emptyContributions(), {
      children: [
        {
          resource: { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true },
          object: {
            metadata: { name: 'a', labels: { 'app.kubernetes.io/managed-by': 'chatfleet-operator' } },
          },
          cached: true,
        },
        {
          resource: { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true },
          object: {
            metadata: { name: 'b', labels: { 'app.kubernetes.io/managed-by': 'chatfleet-operator' } },
          },
        },
        {
          resource: { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true },
          object: { metadata: { name: 'c' } },
          cached: true,
        },
      ],
    });
    const plans = planChildren(cbd, merged, caches);
    const cached = Object.fromEntries(
      plans.filter((p) => ['a', 'b', 'c'].includes(p.name)).map((p) => [p.name, p.cache !== undefined]),
    );
    expect(cached).toEqual({ a: true, b: false, c: false });
  });
});
