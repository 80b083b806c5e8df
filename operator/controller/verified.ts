/**
 * Children that no informer watches are read with a GET: the rollout's Role and RoleBinding, because
 * the chart grants no list/watch on RBAC objects (charts/chatfleet/templates/rbac.yaml; listing every
 * Role in the cluster is more than the operator needs). A GET per reconcile would make every fleet
 * cost two reads each time it is reconciled, so once a GET or an apply has shown a child equal to
 * what is wanted (same applied hash, which covers the owner's uid), it is trusted for `periodMs`
 * (the resync period) and not read again until then or until the wanted object changes. The cost:
 * a Role a user deletes or edits by hand is restored within one period instead of at once.
 *
 * Memory is bounded: one entry per such child, dropped when its fleet is deleted (forgetOwner) and,
 * in any case, swept once it is older than a period.
 */
export class VerifiedChildren {
  private readonly seen = new Map<string, { hash: string; owner: string; at: number }>();
  private sweptAt: number;

  constructor(
    private readonly periodMs: number,
    private readonly now: () => number,
  ) {
    this.sweptAt = now();
  }

  /** `key` (`Kind/ns/name`) was seen matching `hash` less than a period ago. */
  fresh(key: string, hash: string): boolean {
    const s = this.seen.get(key);
    return s !== undefined && s.hash === hash && this.now() - s.at < this.periodMs;
  }

  /** `key` matches `hash` now (a GET showed it, or it was just applied); `owner` is the fleet's uid. */
  remember(key: string, hash: string, owner: string): void {
    const now = this.now();
    this.seen.set(key, { hash, owner, at: now });
    if (now - this.sweptAt >= this.periodMs) this.sweep(now);
  }

  forget(key: string): void {
    this.seen.delete(key);
  }

  /** Drops every entry of the fleet with this uid (it was deleted). */
  forgetOwner(uid: string): void {
    for (const [key, s] of this.seen) if (s.owner === uid) this.seen.delete(key);
  }

  get size(): number {
    return this.seen.size;
  }

  private sweep(now: number): void {
    this.sweptAt = now;
    for (const [key, s] of this.seen) if (now - s.at >= this.periodMs) this.seen.delete(key);
  }
}
