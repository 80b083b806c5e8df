/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return --
   These tests inspect built manifests; typing every field would add nothing. */
import { describe, expect, it } from '@jest/globals';
import { desiredDeployment, desiredService } from './desired.js';
import { minimalCr } from './fixtures.js';
import { composeReplicas, trackOf, trackSelector } from './tracks.js';
import type { TrackRevision } from './tracks.js';

const cbd = minimalCr({ model: { name: 'support-bot', version: 'v7', bundleConfigMap: 'bundle-v7' } });
const canaryRevision: TrackRevision = {
  version: 'v8',
  model: { name: 'support-bot', version: 'v8', bundleConfigMap: 'bundle-v8' },
  image: 'registry.local/bot:1.1',
};
const stable = desiredDeployment(cbd, { replicas: 4, env: [], routingConfigMap: 'support-routing' }) as any;
const canary = desiredDeployment(cbd, {
  replicas: 1,
  env: [{ name: 'REDIS_URL', value: 'redis://r' }],
  track: 'canary',
  revision: canaryRevision,
  routingConfigMap: 'support-routing',
}) as any;

function env(d: any): Record<string, unknown> {
  return Object.fromEntries(
    d.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]),
  );
}

describe('the two tracks, built by one desired function', () => {
  it('names the canary <name>-canary and keeps the stable Deployment <name>', () => {
    expect([stable.metadata.name, canary.metadata.name]).toEqual(['support', 'support-canary']);
  });

  it('keeps the stable selector of existing fleets and adds the track to the canary selector', () => {
    const instance = { 'app.kubernetes.io/name': 'chatbot', 'app.kubernetes.io/instance': 'support' };
    expect(stable.spec.selector.matchLabels).toEqual(instance);
    expect(canary.spec.selector.matchLabels).toEqual({ ...instance, 'chatfleet.io/track': 'canary' });
    // The canary selector never matches a stable pod; each template matches its own selector.
    const stableLabels = stable.spec.template.metadata.labels;
    const canaryLabels = canary.spec.template.metadata.labels;
    const matches = (sel: Record<string, string>, labels: Record<string, string>): boolean =>
      Object.entries(sel).every(([k, v]) => labels[k] === v);
    expect(matches(canary.spec.selector.matchLabels, stableLabels)).toBe(false);
    expect(matches(stable.spec.selector.matchLabels, stableLabels)).toBe(true);
    expect(matches(canary.spec.selector.matchLabels, canaryLabels)).toBe(true);
  });

  it('labels pods with track and model version', () => {
    expect(stable.spec.template.metadata.labels).toMatchObject({
      'chatfleet.io/track': 'stable',
      'chatfleet.io/model-version': 'v7',
    });
    expect(canary.spec.template.metadata.labels).toMatchObject({
      'chatfleet.io/track': 'canary',
      'chatfleet.io/model-version': 'v8',
    });
  });

  it('gives each track its own revision: image, version env, bundle volume', () => {
    expect(stable.spec.template.spec.containers[0].image).toBe('registry.local/bot:1.0');
    expect(canary.spec.template.spec.containers[0].image).toBe('registry.local/bot:1.1');
    expect(env(stable)).toMatchObject({ MODEL_VERSION: 'v7', CHATFLEET_TRACK: 'stable' });
    expect(env(canary)).toMatchObject({
      MODEL_VERSION: 'v8',
      CHATFLEET_TRACK: 'canary',
      REDIS_URL: 'redis://r',
    });
    const bundle = (d: any): unknown =>
      d.spec.template.spec.volumes.find((v: any) => v.name === 'model-bundle')?.configMap.name;
    expect([bundle(stable), bundle(canary)]).toEqual(['bundle-v7', 'bundle-v8']);
    // Shared config is identical, so a change of it rolls both tracks alike.
    expect(canary.spec.template.metadata.annotations).toEqual(stable.spec.template.metadata.annotations);
  });

  it('sets the routing env of the contract and mounts the token only with a routing ConfigMap', () => {
    expect(env(canary)).toMatchObject({
      CHATFLEET_ROUTING_CONFIGMAP: 'support-routing',
      POD_NAMESPACE: { fieldRef: { fieldPath: 'metadata.namespace' } },
      CHATFLEET_STABLE_URL: 'http://support-stable.team-a.svc:80',
      CHATFLEET_CANARY_URL: 'http://support-canary.team-a.svc:80',
    });
    expect(canary.spec.template.spec.automountServiceAccountToken).toBe(true);
    const plain = desiredDeployment(cbd, { replicas: 2, env: [] }) as any;
    expect(plain.spec.template.spec.automountServiceAccountToken).toBe(false);
    expect(env(plain)).not.toHaveProperty('CHATFLEET_ROUTING_CONFIGMAP');
  });

  it('spreads each track over zones by its own pods', () => {
    expect(canary.spec.template.spec.topologySpreadConstraints[0].labelSelector.matchLabels).toEqual(
      trackSelector(cbd, 'canary'),
    );
  });

  it.each([
    [undefined, 'support', { 'app.kubernetes.io/instance': 'support' }],
    ['stable' as const, 'support-stable', { 'chatfleet.io/track': 'stable' }],
    ['canary' as const, 'support-canary', { 'chatfleet.io/track': 'canary' }],
  ])('Service for track %s is %s and selects %j', (track, name, selector) => {
    const svc = desiredService(cbd, track) as any;
    expect(svc.metadata.name).toBe(name);
    expect(svc.spec.selector).toMatchObject(selector);
    if (!track) expect(svc.spec.selector).not.toHaveProperty('chatfleet.io/track');
  });
});

describe('trackOf', () => {
  it.each([
    [{ 'chatfleet.io/track': 'canary' }, 'canary'],
    [{ 'chatfleet.io/track': 'stable' }, 'stable'],
    [{}, 'stable'],
  ])('labels %j -> %s (pods from before rollouts are stable)', (labels, track) => {
    expect(trackOf({ metadata: { labels } })).toBe(track);
  });
});

describe('composeReplicas', () => {
  it.each([
    // stable, share, max -> stable, canary
    [4, 0, 10, 4, 0],
    [4, 0.1, 10, 4, 1],
    [9, 0.1, 10, 9, 1],
    [10, 0.1, 20, 10, 2],
    [6, 0.25, 10, 6, 2],
    [4, 0.5, 10, 4, 4],
    [4, 0.75, 10, 4, 10],
    [4, 1, 10, 4, 10],
    [1, 0.01, 10, 1, 1],
    [3, -1, 10, 3, 0],
  ])('stable %i, canary share %d, max %i -> %i + %i', (s, share, max, wantStable, wantCanary) => {
    expect(composeReplicas({ stable: s, canaryShare: share, maxReplicas: max })).toEqual({
      stable: wantStable,
      canary: wantCanary,
    });
  });
});
