import { describe, expect, it } from '@jest/globals';
import { Resources } from '../kube/resources.js';
import type { ChatbotDeployment, ChatbotDeploymentStatus, KubeObject } from '../workload/types.js';
import {
  conflictBackoffMs,
  conflictMessage,
  conflictOf,
  controlledBy,
  ownerReferenceFor,
  withNameConflict,
} from './ownership.js';

const cbd = {
  apiVersion: 'chatfleet.io/v1alpha1',
  kind: 'ChatbotDeployment',
  metadata: { name: 'x-redis', namespace: 'ns', uid: 'uid-mine', generation: 2 },
  spec: {},
} as unknown as ChatbotDeployment;

function svc(refs: { uid: string; controller?: boolean; name?: string }[] | undefined): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'x-redis',
      namespace: 'ns',
      ...(refs
        ? {
            ownerReferences: refs.map((r) => ({
              apiVersion: 'chatfleet.io/v1alpha1',
              kind: 'ChatbotDeployment',
              name: r.name ?? 'x',
              uid: r.uid,
              ...(r.controller === undefined ? {} : { controller: r.controller }),
            })),
          }
        : {}),
    },
  };
}

describe('conflictOf', () => {
  it.each([
    ['absent (create it)', undefined, undefined],
    ['controlled by this CR', svc([{ uid: 'uid-mine', controller: true }]), undefined],
    [
      'controlled by another CR',
      svc([{ uid: 'uid-other', controller: true }]),
      'ChatbotDeployment x (uid uid-other)',
    ],
    [
      'a re-created CR of the same name (old uid)',
      svc([{ uid: 'uid-old', controller: true, name: 'x-redis' }]),
      'ChatbotDeployment x-redis (uid uid-old)',
    ],
    ['no ownerReferences (a user object)', svc(undefined), 'nobody'],
    ['only a non-controller reference to this CR', svc([{ uid: 'uid-mine' }]), 'nobody'],
    [
      'this CR as non-controller, another as controller',
      svc([{ uid: 'uid-mine' }, { uid: 'uid-other', controller: true }]),
      'uid-other',
    ],
  ])('%s', (_case, live, owner) => {
    const c = conflictOf(cbd, Resources.Service, live);
    if (owner === undefined) expect(c).toBeUndefined();
    else
      expect(c).toMatchObject({
        kind: 'Service',
        namespace: 'ns',
        name: 'x-redis',
        owner: expect.stringContaining(owner),
      });
  });
});

describe('conflictMessage', () => {
  it('names kind, namespace/name and owner, and bounds the list', () => {
    const many = Array.from({ length: 5 }, (_, i) => ({
      kind: 'Service',
      namespace: 'ns',
      name: `s${i}`,
      owner: 'nobody',
    }));
    const msg = conflictMessage(many);
    expect(msg).toContain('Service ns/s0 (controlled by nobody)');
    expect(msg).toContain('Service ns/s2');
    expect(msg).not.toContain('ns/s3');
    expect(msg).toContain('and 2 more');
  });
});

describe('withNameConflict', () => {
  const now = new Date('2026-12-01T10:00:00Z');
  const base: ChatbotDeploymentStatus = {
    observedGeneration: 2,
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'Available',
        message: 'ok',
        lastTransitionTime: '2026-12-01T09:00:00Z',
        observedGeneration: 2,
      },
      {
        type: 'Degraded',
        status: 'False',
        reason: 'AsExpected',
        message: 'ok',
        lastTransitionTime: '2026-12-01T09:00:00Z',
        observedGeneration: 2,
      },
      {
        type: 'Progressing',
        status: 'False',
        reason: 'Complete',
        message: 'ok',
        lastTransitionTime: '2026-12-01T09:00:00Z',
        observedGeneration: 2,
      },
    ],
  };
  const conflict = {
    kind: 'Service',
    namespace: 'ns',
    name: 'x-redis',
    owner: 'ChatbotDeployment x (uid u)',
  };

  it('leaves status alone without conflicts', () => {
    expect(withNameConflict(base, cbd, [], now)).toBe(base);
  });

  it('sets Degraded=True and Ready=False with reason NameConflict, other conditions untouched', () => {
    const s = withNameConflict(base, { ...cbd, status: base }, [conflict], now);
    const byType = new Map((s.conditions ?? []).map((c) => [c.type, c]));
    expect(byType.get('Degraded')).toMatchObject({
      status: 'True',
      reason: 'NameConflict',
      lastTransitionTime: '2026-12-01T10:00:00Z',
      observedGeneration: 2,
    });
    expect(byType.get('Degraded')?.message).toContain(
      'Service ns/x-redis (controlled by ChatbotDeployment x (uid u))',
    );
    expect(byType.get('Ready')).toMatchObject({ status: 'False', reason: 'NameConflict' });
    expect(byType.get('Progressing')).toEqual(base.conditions?.[2]);
  });

  it('keeps lastTransitionTime while the conflict lasts (no status write in a steady conflict)', () => {
    const first = withNameConflict(base, { ...cbd, status: base }, [conflict], now);
    const later = withNameConflict(
      base,
      { ...cbd, status: first },
      [conflict],
      new Date('2026-12-01T11:00:00Z'),
    );
    expect(later.conditions).toEqual(first.conditions);
  });
});

describe('conflictBackoffMs', () => {
  it.each([
    [0, 2_000],
    [-5, 2_000],
    [1_500, 2_000],
    [4_000, 4_000],
    [16_000, 16_000],
    [30_000, 30_000],
    [3_600_000, 30_000],
  ])('a conflict that lasted %i ms is looked at again after %i ms', (lasted, ms) => {
    expect(conflictBackoffMs(lasted)).toBe(ms);
  });
});

describe('ownerReferenceFor', () => {
  it('is a controller reference to the CR, apiVersion and kind from the generated CRD', () => {
    expect(ownerReferenceFor(cbd)).toEqual({
      apiVersion: 'chatfleet.io/v1alpha1',
      kind: 'ChatbotDeployment',
      name: 'x-redis',
      uid: 'uid-mine',
      controller: true,
      blockOwnerDeletion: true,
    });
  });

  it('is recognised by controlledBy', () => {
    const child: KubeObject = { metadata: { name: 'c', ownerReferences: [ownerReferenceFor(cbd)] } };
    expect(controlledBy(child, cbd)).toBe(true);
    expect(controlledBy(child, { metadata: { ...cbd.metadata, uid: 'uid-other' } })).toBe(false);
  });

  it('refuses a CR without a uid (the API server would reject the reference)', () => {
    expect(() => ownerReferenceFor({ metadata: { name: 'x', namespace: 'ns' } })).toThrow(/ns\/x has no uid/);
  });
});
