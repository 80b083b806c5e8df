import type { Logger } from 'pino';
import type { KubeClient } from '../kube/client.js';
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
  /** Children being created right now (`Kind/ns/name` -> CR uid): two fleets never create one name at once. */
  private readonly creating = new Map<string, string>();
  private readonly verified: VerifiedChildren;

  constructor(private readonly d: ChildApplierDeps) {
    this.verified = new VerifiedChildren(d.resyncMs, () => d.now().getTime());
  }

  /** Drops what is remembered about the children of a deleted fleet. */
  forgetOwner(uid: string): void {
    this.verified.forgetOwner(uid);
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
  async applyAll(cbd: ChatbotDeployment, merged: MergedContributions, log: Logger): Promise<Applied> {
    const plans = planChildren(cbd, merged, this.d.caches);
    const deploymentPlan = plans.filter((p) => p.resource === Resources.Deployment);
    const others = plans.filter((p) => p.resource !== Resources.Deployment);
    const changes: string[] = [];
    const conflicts: NameConflict[] = [];
    const collect = (r: ChildResult): void => {
      if (r.change) changes.push(r.change);
      if (r.conflict) conflicts.push(r.conflict);
    };
    const lookups = await this.lookUpNewDeployments(cbd, deploymentPlan);
    try {
      const first = await Promise.allSettled(others.map((p) => this.applyChild(cbd, p, log)));
      for (const r of first) if (r.status === 'fulfilled') collect(r.value);
      const failed = first.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
      let deployment: KubeObject | undefined;
      for (const p of conflicts.length > 0 ? [] : deploymentPlan) {
        const r = await this.applyChild(cbd, p, log, lookups.get(p.name));
        collect(r);
        // The stable Deployment is the fleet's (status counts it); the canary reports through the rollout.
        if (p.name === childNames.deployment(cbd)) deployment = r.written;
      }
      return { deployment, conflicts };
    } finally {
      for (const key of lookups.claims) this.creating.delete(key);
      // One event per reconcile that changed children, not one per child: events are writes too.
      if (changes.length > 0)
        this.d.events.record(cbd, 'Normal', 'ChildrenApplied', 'Apply', changes.join(', '));
    }
  }

  /**
   * A fleet's Deployments are applied after its other children, so the GET that must precede
   * creating one (see create) is started now, under its name claim, and overlaps those applies:
   * a new fleet then waits for one round trip less. The claims are held until applyAll ends.
   */
  private async lookUpNewDeployments(cbd: ChatbotDeployment, plans: ChildPlan[]): Promise<DeploymentLookups> {
    const ns = cbd.metadata.namespace ?? '';
    const uid = cbd.metadata.uid ?? '';
    const lookups = new DeploymentLookups();
    for (const p of plans) {
      const key = `${p.resource.kind}/${ns}/${p.name}`;
      if (!p.desired || !p.cache || this.creating.has(key) || (await this.liveChild(ns, p))) continue;
      this.creating.set(key, uid);
      lookups.claims.push(key);
      lookups.set(p.name, settle(this.d.client.get(p.resource, ns, p.name)));
    }
    return lookups;
  }

  private async liveChild(ns: string, p: ChildPlan): Promise<KubeObject | undefined> {
    if (!p.cache) return this.d.client.get(p.resource, ns, p.name);
    return this.d.overlay.fresher(`${p.resource.kind}/${ns}/${p.name}`, p.cache.get(ns, p.name));
  }

  private async applyChild(
    cbd: ChatbotDeployment,
    p: ChildPlan,
    log: Logger,
    lookup?: Settled<KubeObject | undefined>,
  ): Promise<ChildResult> {
    const desired = p.desired && withAppliedHash(p.desired);
    return p.cache
      ? this.converge(cbd, p, desired, log, lookup)
      : this.convergeUncached(cbd, p, desired, log);
  }

  /** A child no informer sees: no GET while it was seen as wanted less than a period ago (VerifiedChildren). */
  private async convergeUncached(
    cbd: ChatbotDeployment,
    p: ChildPlan,
    desired: KubeObject | undefined,
    log: Logger,
  ): Promise<ChildResult> {
    const key = `${p.resource.kind}/${cbd.metadata.namespace ?? ''}/${p.name}`;
    const hash = desired?.metadata.annotations?.[ANNOTATION_APPLIED_HASH];
    if (hash !== undefined && this.verified.fresh(key, hash)) return {};
    const result = await this.converge(cbd, p, desired, log);
    if (hash !== undefined && !result.conflict) this.verified.remember(key, hash, cbd.metadata.uid ?? '');
    else this.verified.forget(key);
    return result;
  }

  private async converge(
    cbd: ChatbotDeployment,
    p: ChildPlan,
    desired: KubeObject | undefined,
    log: Logger,
    lookup?: Settled<KubeObject | undefined>,
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
    if (lookup) return this.createLookedUp(cbd, desired, p, ns, log, lookup);
    return this.create(cbd, desired, p, ns, log);
  }

  /** create() with its GET already done under this fleet's claim (lookUpNewDeployments). */
  private async createLookedUp(
    cbd: ChatbotDeployment,
    desired: KubeObject,
    p: ChildPlan,
    ns: string,
    log: Logger,
    lookup: Settled<KubeObject | undefined>,
  ): Promise<ChildResult> {
    const live = unwrap(await lookup);
    const conflict = conflictOf(cbd, p.resource, live);
    if (conflict) return { conflict };
    return this.write(desired, p, ns, live ? 'updated' : 'created', log);
  }

  /**
   * A child the cache does not hold. The informers see only objects labelled managed-by, so a user's own
   * object of that name is invisible to them: GET it first (creates are rare, steady state never gets
   * here). The `creating` claim closes the window between that GET and the apply for two fleets of this
   * operator (the only writer with our field manager) contesting one name.
   */
  private async create(
    cbd: ChatbotDeployment,
    desired: KubeObject,
    p: ChildPlan,
    ns: string,
    log: Logger,
  ): Promise<ChildResult> {
    const key = `${p.resource.kind}/${ns}/${p.name}`;
    const claimant = this.creating.get(key);
    const uid = cbd.metadata.uid ?? '';
    if (claimant !== undefined && claimant !== uid) {
      return {
        conflict: {
          kind: p.resource.kind,
          namespace: ns,
          name: p.name,
          owner: `a fleet creating it now (uid ${claimant})`,
        },
      };
    }
    this.creating.set(key, uid);
    try {
      const live = p.cache ? await this.d.client.get(p.resource, ns, p.name) : undefined;
      const conflict = conflictOf(cbd, p.resource, live);
      if (conflict) return { conflict };
      return await this.write(desired, p, ns, live ? 'updated' : 'created', log);
    } finally {
      this.creating.delete(key);
    }
  }

  private async write(
    desired: KubeObject,
    p: ChildPlan,
    ns: string,
    verb: 'created' | 'updated',
    log: Logger,
  ): Promise<ChildResult> {
    const written = await this.d.client.apply(desired, FIELD_MANAGER, { resource: p.resource });
    if (p.cache) this.d.overlay.remember(`${p.resource.kind}/${ns}/${p.name}`, written);
    log.info({ kind: p.resource.kind, child: p.name }, `${verb} child`);
    return { written, change: `${verb} ${p.resource.kind} ${p.name}` };
  }
}

type Settled<T> = Promise<{ ok: true; value: T } | { ok: false; error: unknown }>;

/** A promise that is awaited later, perhaps never (the reconcile failed first): it must not reject unhandled. */
function settle<T>(p: Promise<T>): Settled<T> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

function unwrap<T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T {
  if (!r.ok) throw r.error;
  return r.value;
}

/** The early Deployment GETs of one applyAll, by name, and the name claims they hold. */
class DeploymentLookups extends Map<string, Settled<KubeObject | undefined>> {
  readonly claims: string[] = [];
}
