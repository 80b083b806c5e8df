import type { KubeObject } from '../workload/types.js';

interface Entry {
  obj: KubeObject;
  /** uid of the fleet the object belongs to: see `ownerUid`. */
  owner: string | undefined;
}

/**
 * Remembers objects we just wrote until the informer cache has caught up with them. Without it a
 * reconcile that runs between our write and the watch event (another child's event woke it) sees
 * the stale cached object, finds drift, and writes the same thing again. resourceVersions are
 * opaque by contract; the comparison below only uses them when both parse as integers (etcd's
 * are), and otherwise trusts the cache, which is merely the behaviour without the overlay.
 *
 * Entries are grouped by owner uid, never by name: the children of fleet `bot` (`bot`,
 * `bot-runtime`, ...) share a prefix with those of fleet `bot-2`, so a prefix match would forget
 * the other fleet's writes as well.
 */
export class WriteOverlay {
  private readonly written = new Map<string, Entry>();

  remember(key: string, obj: KubeObject): void {
    this.written.set(key, { obj, owner: ownerUid(obj) });
  }

  /** The fresher of the cached object and the one we last wrote. */
  fresher(key: string, cached: KubeObject | undefined): KubeObject | undefined {
    const mine = this.written.get(key)?.obj;
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

  /** Forgets every entry owned by the fleet with this uid: its children and the fleet itself. */
  forgetOwner(uid: string): void {
    for (const [key, entry] of this.written) {
      if (entry.owner === uid) this.written.delete(key);
    }
  }

  size(): number {
    return this.written.size;
  }
}

/**
 * The uid of the fleet an object belongs to: its controller ownerReference's uid, or, for an
 * object that has no controller (the ChatbotDeployment itself), its own uid.
 */
export function ownerUid(obj: KubeObject): string | undefined {
  const controller = (obj.metadata.ownerReferences ?? []).find((r) => r.controller === true);
  return controller?.uid ?? obj.metadata.uid;
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
