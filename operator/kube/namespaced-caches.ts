import type { KubeObject } from '../workload/types.js';

/** What the controller reads from one informer: the cache, and whether RBAC let it list at all. */
export interface WatchedCache {
  get(namespace: string, name: string): KubeObject | undefined;
  list(namespace?: string): KubeObject[];
  readonly watching: boolean;
}

/**
 * One kind's caches over several watched namespaces (--watch-namespace=a,b): one informer per
 * namespace, because RBAC then grants list/watch only in those namespaces (a Role each) and a
 * cluster-wide watch would be refused. Reads go to the namespace's own cache; an unwatched
 * namespace has no objects.
 */
export class NamespacedCaches implements WatchedCache {
  constructor(private readonly byNamespace: ReadonlyMap<string, WatchedCache>) {}

  get(namespace: string, name: string): KubeObject | undefined {
    return this.byNamespace.get(namespace)?.get(namespace, name);
  }

  list(namespace?: string): KubeObject[] {
    if (namespace !== undefined) return this.byNamespace.get(namespace)?.list(namespace) ?? [];
    return [...this.byNamespace.entries()].flatMap(([ns, cache]) => cache.list(ns));
  }

  /** false if RBAC refused the list in any namespace: then this is not a full view of the objects. */
  get watching(): boolean {
    return [...this.byNamespace.values()].every((c) => c.watching);
  }
}
