import type { Logger } from 'pino';
import type { KubeClient } from '../kube/client.js';
import { isConflict } from '../kube/errors.js';
import type { EventRecorder } from '../kube/events.js';
import { Resources } from '../kube/resources.js';
import { FIELD_MANAGER, childNames } from '../workload/labels.js';
import type { ChatbotDeployment, KubeObject } from '../workload/types.js';
import type { MergedContributions } from './component.js';
import { ANNOTATION_APPLIED_HASH, needsApply, withAppliedHash } from './drift.js';
import type { WriteOverlay } from './overlay.js';
import { conflictOf, controlledBy } from './ownership.js';
import type { NameConflict } from './ownership.js';
import { planChildren } from './plan.js';
import type { ChildPlan } from './plan.js';
import type { FleetCaches } from './reconciler.js';
import { VerifiedChildren } from './verified.js';

export interface Applied {
  /** The stable Deployment as the API server returned it, if applied this reconcile. */
  deployment: KubeObject | undefined;
  conflicts: NameConflict[];
}

interface ChildResult {
  written?: KubeObject;
  change?: string;
  conflict?: NameConflict;
}

export interface ChildApplierDeps {
  client: KubeClient;
  caches: FleetCaches;
  events: EventRecorder;
  /** Shared with the reconciler, which reads the fleet's own Deployments through it. */
  overlay: WriteOverlay;
  now: () => Date;
  /** How long an uncached child, once seen as wanted, is trusted without a GET (see VerifiedChildren). */
  resyncMs: number;
}

/**
 * Converges a fleet's children (server-side apply, one field manager, force) without ever taking over an
 * object of the same name that this CR does not control (operator/controller/ownership.ts).
 */
export class ChildApplier {
  private readonly verified: VerifiedChildren;
  /**
   * Names whose create was refused because someone else's object holds them (`Kind/ns/name` -> CR uid):
   * while the conflict lasts, a reconcile reads the object instead of sending a write the API server
   * will refuse again. One entry per conflicting child, dropped when it is created or its fleet deleted.
   */
  private readonly taken = new Map<string, string>();

  constructor(private readonly d: ChildApplierDeps) {
    this.verified = new VerifiedChildren(d.resyncMs, () => d.now().getTime());
  }

  /** Drops what is remembered about the children of a deleted fleet. */
  forgetOwner(uid: string): void {
    this.verified.forgetOwner(uid);
    for (const [key, owner] of this.taken) if (owner === uid) this.taken.delete(key);
  }

  /** Uncached children currently trusted without a GET (for tests and the bench). */
  get verifiedCount(): number {
    return this.verified.size;
  }

  /**
   * Applies every child that drifted; returns the Deployment as the API server returned it, if
   * applied. Children other than the Deployment are independent and go in parallel; the
   * Deployment goes last so its pods find their ConfigMap and ServiceAccount. A child whose name
   * is taken by an object this CR does not control is left alone (NameConflict), and then the
   * Deployments are held too: pods must not start against another owner's Service, ConfigMap or
   * ServiceAccount (docs/operator.md, Name conflicts).
   */
  async applyAll(
    cbd: ChatbotDeployment,
    merged: MergedContributions,
    log: Logger,
    fleet: { isNew: boolean },
  ): Promise<Applied> {
    const plans = planChildren(cbd, merged, this.d.caches);
    const deploymentPlan = plans.filter((p) => p.resource === Resources.Deployment);
    const others = plans.filter((p) => p.resource !== Resources.Deployment);
    const changes: string[] = [];
    const conflicts: NameConflict[] = [];
    const collect = (r: ChildResult): void => {
      if (r.change) changes.push(r.change);
      if (r.conflict) conflicts.push(r.conflict);
    };
    try {
      const first = await Promise.allSettled(others.map((p) => this.applyChild(cbd, p, log, fleet.isNew)));
      for (const r of first) if (r.status === 'fulfilled') collect(r.value);
      const failed = first.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
      let deployment: KubeObject | undefined;
      for (const p of conflicts.length > 0 ? [] : deploymentPlan) {
        const r = await this.applyChild(cbd, p, log, fleet.isNew);
        collect(r);
        // The stable Deployment is the fleet's (status counts it); the canary reports through the rollout.
        if (p.name === childNames.deployment(cbd)) deployment = r.written;
      }
      return { deployment, conflicts };
    } finally {
      // One event per reconcile that changed children, not one per child: events are writes too.
      if (changes.length > 0)
        this.d.events.record(cbd, 'Normal', 'ChildrenApplied', 'Apply', changes.join(', '));
    }
  }

  private async liveChild(ns: string, p: ChildPlan): Promise<KubeObject | undefined> {
    if (!p.cache) return this.d.client.get(p.resource, ns, p.name);
    return this.d.overlay.fresher(`${p.resource.kind}/${ns}/${p.name}`, p.cache.get(ns, p.name));
  }

  private async applyChild(
    cbd: ChatbotDeployment,
    p: ChildPlan,
    log: Logger,
    fleetIsNew: boolean,
  ): Promise<ChildResult> {
    const desired = p.desired && withAppliedHash(p.desired);
    return p.cache
      ? this.converge(cbd, p, desired, log)
      : this.convergeUncached(cbd, p, desired, log, fleetIsNew);
  }

  /** A child no informer sees: no GET while it was seen as wanted less than a period ago (VerifiedChildren). */
  private async convergeUncached(
    cbd: ChatbotDeployment,
    p: ChildPlan,
    desired: KubeObject | undefined,
    log: Logger,
    fleetIsNew: boolean,
  ): Promise<ChildResult> {
    const ns = cbd.metadata.namespace ?? '';
    const key = `${p.resource.kind}/${ns}/${p.name}`;
    const hash = desired?.metadata.annotations?.[ANNOTATION_APPLIED_HASH];
    if (hash !== undefined && this.verified.fresh(key, hash)) return {};
    // A fleet being created has no such child yet: its create-only apply learns in the same round trip
    // a GET would take whether the name is taken (409, then read), and creates the child otherwise.
    const result =
      fleetIsNew && desired
        ? await this.create(cbd, desired, p, ns, log)
        : await this.converge(cbd, p, desired, log);
    if (hash !== undefined && !result.conflict) this.verified.remember(key, hash, cbd.metadata.uid ?? '');
    else this.verified.forget(key);
    return result;
  }

  private async converge(
    cbd: ChatbotDeployment,
    p: ChildPlan,
    desired: KubeObject | undefined,
    log: Logger,
  ): Promise<ChildResult> {
    const ns = cbd.metadata.namespace ?? '';
    const live = await this.liveChild(ns, p);
    if (!desired) {
      if (live && controlledBy(live, cbd) && (await this.d.client.delete(p.resource, ns, p.name))) {
        log.info({ kind: p.resource.kind, child: p.name }, 'deleted child');
        return { change: `deleted ${p.resource.kind} ${p.name}` };
      }
      return {};
    }
    const conflict = conflictOf(cbd, p.resource, live);
    if (conflict) return { conflict };
    if (!needsApply(desired, live)) return {};
    if (live) return this.write(desired, p, ns, 'updated', log);
    return this.create(cbd, desired, p, ns, log);
  }

  /**
   * A child neither the cache nor the overlay holds. The informers see only objects labelled
   * managed-by, so a user's own object of that name is invisible to them: the first write is a
   * create-only apply, which the API server refuses (409) when the name is taken, and only then is the
   * object read, to tell ours (an informer behind) from someone else's (NameConflict). A new child costs
   * one round trip, and two fleets contesting one name are decided by the API server: one creates it,
   * the other reads it and reports the conflict. A name found taken is read first on later reconciles
   * (`taken`), so a lasting conflict sends no write at all.
   */
  private async create(
    cbd: ChatbotDeployment,
    desired: KubeObject,
    p: ChildPlan,
    ns: string,
    log: Logger,
  ): Promise<ChildResult> {
    const key = `${p.resource.kind}/${ns}/${p.name}`;
    let live = this.taken.has(key) ? await this.d.client.get(p.resource, ns, p.name) : undefined;
    if (!live) {
      try {
        const written = await this.d.client.applyNew(desired, FIELD_MANAGER, p.resource);
        this.taken.delete(key);
        return this.remember(written, p, ns, 'created', log);
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
      live = await this.d.client.get(p.resource, ns, p.name);
      // Taken, then deleted before our read: the retry creates it.
      if (!live) throw new Error(`${p.resource.kind} ${ns}/${p.name} was deleted while being created`);
    }
    const conflict = conflictOf(cbd, p.resource, live);
    if (conflict) {
      this.taken.set(key, cbd.metadata.uid ?? '');
      return { conflict };
    }
    this.taken.delete(key);
    return needsApply(desired, live) ? this.write(desired, p, ns, 'updated', log) : {};
  }

  private async write(
    desired: KubeObject,
    p: ChildPlan,
    ns: string,
    verb: 'created' | 'updated',
    log: Logger,
  ): Promise<ChildResult> {
    const written = await this.d.client.apply(desired, FIELD_MANAGER, { resource: p.resource });
    return this.remember(written, p, ns, verb, log);
  }

  private remember(
    written: KubeObject,
    p: ChildPlan,
    ns: string,
    verb: 'created' | 'updated',
    log: Logger,
  ): ChildResult {
    if (p.cache) this.d.overlay.remember(`${p.resource.kind}/${ns}/${p.name}`, written);
    log.info({ kind: p.resource.kind, child: p.name }, `${verb} child`);
    return { written, change: `${verb} ${p.resource.kind} ${p.name}` };
  }
}
