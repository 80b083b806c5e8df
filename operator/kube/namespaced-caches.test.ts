import { describe, expect, it } from '@jest/globals';
import { ConfigError, parseConfig, splitNamespaces, watchedNamespaces } from '../config.js';
import type { KubeObject } from '../workload/types.js';
import { NamespacedCaches, type WatchedCache } from './namespaced-caches.js';

const obj = (namespace: string, name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { namespace, name },
});

/** A cache holding fixed objects, as an informer of one namespace would. */
function cache(objects: KubeObject[], watching = true): WatchedCache {
  return {
    get: (ns, name) => objects.find((o) => o.metadata.namespace === ns && o.metadata.name === name),
    list: (ns) => objects.filter((o) => ns === undefined || o.metadata.namespace === ns),
    watching,
  };
}

describe('--watch-namespace: several namespaces', () => {
  it.each<[string, string[]]>([
    ['', []],
    ['team-a', ['team-a']],
    ['team-a,team-b', ['team-a', 'team-b']],
    [' team-a , team-b ,team-a', ['team-a', 'team-b']],
  ])('%j watches %j', (value, expected) => {
    expect(splitNamespaces(value)).toEqual(expected);
    expect(watchedNamespaces(parseConfig([`--watch-namespace=${value}`], {}))).toEqual(expected);
  });

  it.each<[string, string]>([
    ['team-a,', '""'],
    ['Team_A', '"Team_A"'],
    ['a,,b', '""'],
    [`${'x'.repeat(64)}`, 'x'.repeat(64)],
  ])('refuses %j, naming the part', (value, part) => {
    expect(() => parseConfig([], { WATCH_NAMESPACE: value })).toThrow(ConfigError);
    expect(() => splitNamespaces(value)).toThrow(part);
  });
});

describe('NamespacedCaches', () => {
  const a = [obj('a', 'one'), obj('a', 'two')];
  const b = [obj('b', 'one')];
  const caches = new NamespacedCaches(
    new Map([
      ['a', cache(a)],
      ['b', cache(b)],
    ]),
  );

  it('reads each namespace from its own cache, and nothing from an unwatched one', () => {
    expect(caches.get('a', 'two')).toBe(a[1]);
    expect(caches.get('b', 'one')).toBe(b[0]);
    expect(caches.get('b', 'two')).toBeUndefined();
    expect(caches.get('c', 'one')).toBeUndefined();
    expect(caches.list('a')).toEqual(a);
    expect(caches.list('c')).toEqual([]);
    expect(caches.list()).toEqual([...a, ...b]);
  });

  it('is watching only if every namespace is', () => {
    expect(caches.watching).toBe(true);
    const partly = new NamespacedCaches(
      new Map([
        ['a', cache(a)],
        ['b', cache(b, false)],
      ]),
    );
    expect(partly.watching).toBe(false);
  });
});
