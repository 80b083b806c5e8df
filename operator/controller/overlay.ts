import type { KubeObject } from '../workload/types.js';

/**
 * Remembers objects we just wrote until the informer cache has caught up with them. Without it a
 * reconcile that runs between our write and the watch event (another child's event woke it) sees
 * the stale cached object, finds drift, and writes the same thing again. resourceVersions are
 * opaque by contract; the comparison below only uses them when both parse as integers (etcd's
 * are), and otherwise trusts the cache, which is merely the behaviour without the overlay.
 */
export class WriteOverlay {
  private readonly written = new Map<string, KubeObject>();

  remember(key: string, obj: KubeObject): void {
    this.written.set(key, obj);
  }

  /** The fresher of the cached object and the one we last wrote. */
  fresher(key: string, cached: KubeObject | undefined): KubeObject | undefined {
    const mine = this.written.get(key);
    if (!mine) return cached;
    if (cached && !isOlder(cached, mine)) {
      this.written.delete(key); // the cache caught up: forget ours
      return cached;
    }
    return mine;
  }

  forget(key: string): void {
    this.written.delete(key);
  }

  /** Forgets keys starting with `prefix` (or, with `afterKind`, keys `<Kind>/<prefix>...`). */
  forgetPrefix(prefix: string, afterKind = false): void {
    for (const key of this.written.keys()) {
      const rest = afterKind ? key.slice(key.indexOf('/') + 1) : key;
      if (rest.startsWith(prefix)) this.written.delete(key);
    }
  }

  size(): number {
    return this.written.size;
  }
}

function rv(o: KubeObject): number | undefined {
  const v = o.metadata.resourceVersion;
  return v && /^\d+$/.test(v) ? Number(v) : undefined;
}

function isOlder(a: KubeObject, b: KubeObject): boolean {
  const ra = rv(a);
  const rb = rv(b);
  return ra !== undefined && rb !== undefined && ra < rb;
}
