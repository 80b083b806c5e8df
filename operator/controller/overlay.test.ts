import { describe, expect, it } from '@jest/globals';
import { WriteOverlay } from './overlay.js';

const obj = (rv: string, tag: string) => ({ metadata: { resourceVersion: rv, name: tag } });

describe('WriteOverlay', () => {
  it('prefers what we wrote while the cache is older, then drops it once the cache catches up', () => {
    const o = new WriteOverlay();
    o.remember('k', obj('20', 'mine'));
    expect(o.fresher('k', obj('19', 'cache'))?.metadata.name).toBe('mine');
    expect(o.fresher('k', undefined)?.metadata.name).toBe('mine');
    expect(o.fresher('k', obj('20', 'cache'))?.metadata.name).toBe('cache');
    expect(o.size()).toBe(0);
  });

  it('trusts the cache when resourceVersions are not integers', () => {
    const o = new WriteOverlay();
    o.remember('k', obj('b', 'mine'));
    expect(o.fresher('k', obj('a', 'cache'))?.metadata.name).toBe('cache');
  });

  it('passes the cache through when nothing was written', () => {
    expect(new WriteOverlay().fresher('k', obj('1', 'cache'))?.metadata.name).toBe('cache');
  });

  it('forgets the entries of a deleted fleet', () => {
    const o = new WriteOverlay();
    o.remember('fleet/ns/a', obj('1', 'cr'));
    o.remember('Deployment/ns/a', obj('2', 'd'));
    o.remember('ConfigMap/ns/a-runtime', obj('3', 'cm'));
    o.remember('Deployment/ns/b', obj('4', 'other'));
    o.forgetPrefix('fleet/ns/a');
    o.forgetPrefix('ns/a', true);
    expect(o.size()).toBe(1);
  });
});
