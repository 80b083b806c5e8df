import { describe, expect, it } from '@jest/globals';
import { ANNOTATION_APPLIED_HASH, isSubset, needsApply, parseQuantity, withAppliedHash } from './drift.js';
import type { KubeObject } from '../workload/types.js';

describe('isSubset', () => {
  it.each([
    ['equal scalars', 1, 1, true],
    ['different scalars', 1, 2, false],
    ['server-added map field', { a: 1 }, { a: 1, b: 2 }, true],
    ['missing field', { a: 1, b: 2 }, { a: 1 }, false],
    ['nested default tolerated', { p: [{ port: 80 }] }, { p: [{ port: 80, protocol: 'TCP' }] }, true],
    ['extra list element is drift', { p: [{ port: 80 }] }, { p: [{ port: 80 }, { port: 81 }] }, false],
    ['reordered list is drift', { l: ['a', 'b'] }, { l: ['b', 'a'] }, false],
    ['canonicalised cpu', { cpu: '1000m' }, { cpu: '1' }, true],
    ['canonicalised memory', { memory: '1024Mi' }, { memory: '1Gi' }, true],
    ['number vs quantity', { n: 1 }, { n: '1' }, true],
    ['different quantity', { cpu: '250m' }, { cpu: '500m' }, false],
    ['string vs object', { a: 'x' }, { a: { b: 1 } }, false],
    ['object vs list', { a: {} }, { a: [] }, false],
    ['undefined desired field ignored', { a: undefined, b: 1 }, { b: 1 }, true],
    ['boolean changed', { a: false }, { a: true }, false],
  ])('%s', (_name, want, have, expected) => {
    expect(isSubset(want, have)).toBe(expected);
  });
});

describe('parseQuantity', () => {
  it.each([
    ['250m', 0.25],
    ['2', 2],
    ['1Ki', 1024],
    ['1.5G', 1.5e9],
    ['abc', undefined],
    ['10x', undefined],
  ])('%s', (s, v) => {
    expect(parseQuantity(s)).toBe(v);
  });
});

describe('needsApply', () => {
  const desired: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'a', namespace: 'n', labels: { x: '1' } },
    data: { A: '1', B: '2' },
  };
  const applied = withAppliedHash(desired);

  it('applies when the child is missing', () => {
    expect(needsApply(applied, undefined)).toBe(true);
  });

  it('skips when live holds the same hash and all desired fields', () => {
    const live = {
      ...applied,
      metadata: { ...applied.metadata, uid: 'u', resourceVersion: '9', labels: { x: '1', other: 'y' } },
    };
    expect(needsApply(applied, live)).toBe(false);
  });

  it('applies when someone edited an owned field', () => {
    const live = { ...applied, data: { A: 'edited', B: '2' } };
    expect(needsApply(applied, live)).toBe(true);
  });

  it('applies when the desired object dropped a field (hash changes)', () => {
    const smaller = withAppliedHash({ ...desired, data: { A: '1' } });
    expect(smaller.metadata.annotations?.[ANNOTATION_APPLIED_HASH]).not.toBe(
      applied.metadata.annotations?.[ANNOTATION_APPLIED_HASH],
    );
    expect(needsApply(smaller, applied)).toBe(true);
  });

  it('hashes independently of key order', () => {
    const reordered = withAppliedHash({ ...desired, data: { B: '2', A: '1' } });
    expect(reordered.metadata.annotations).toEqual(applied.metadata.annotations);
  });
});
