import type { Logger } from 'pino';
import type { KubeClient } from '../kube/client.js';
import type { EventRecorder } from '../kube/events.js';
import { errorMessage, isInvalid, isNotFound } from '../kube/errors.js';
import { Resources } from '../kube/resources.js';
import { APP_NAME, FIELD_MANAGER, LABEL_INSTANCE, LABEL_NAME, childNames } from '../workload/labels.js';
import { computeStatus } from '../workload/status.js';
import { trackNames } from '../workload/tracks.js';
import type { ChatbotDeployment, ChatbotDeploymentStatus, KubeObject } from '../workload/types.js';
import { API_GROUP_VERSION, KIND } from '../workload/types.js';
import type { FleetComponent, MergedContributions } from './component.js';
import { emptyContributions, mergeContribution, minDefined } from './component.js';
import type { ReconcileRequest, ReconcileResult } from './controller.js';
import { TerminalError } from './controller.js';
import { isSubset, needsApply, withAppliedHash } from './drift.js';
import { statusEvents } from './status-events.js';
import { WriteOverlay } from './overlay.js';
import { planChildren } from './plan.js';
import type { ChildPlan } from './plan.js';

/** Read access to an informer cache. */
export interface ObjectCache {
  get(namespace: string, name: string): KubeObject | undefined;
  list(namespace?: string): KubeObject[];
}

export interface FleetCaches {
  fleets: ObjectCache;
  deployments: ObjectCache;
  services: ObjectCache;
  podDisruptionBudgets: ObjectCache;
  serviceAccounts: ObjectCache;
  configMaps: ObjectCache;
  pods: ObjectCache;
}

export interface FleetReconcilerDeps {
  client: KubeClient;
  caches: FleetCaches;
  components: FleetComponent[];
  events: EventRecorder;
  now: () => Date;
  /** Periodic full reconcile of every fleet, a safety net for missed events. */
  resyncMs: number;
}

interface Observed {
  deployment: KubeObject | undefined;
  canaryDeployment: KubeObject | undefined;
  pods: KubeObject[];
}

/**
 * Reconciles one ChatbotDeployment: runs the components, applies the children that differ from
 * what the caches hold (server-side apply, one field manager, force), then writes status via
 * /status if it changed. Level-based: it reads everything it needs, whatever woke it up.
 */
export class FleetReconciler {
  private readonly overlay = new WriteOverlay();

  constructor(private readonly d: FleetReconcilerDeps) {}

  readonly reconcile = async (req: ReconcileRequest): Promise<ReconcileResult> => {
    const crKey = `fleet/${req.namespace}/${req.name}`;
    const cr = this.overlay.fresher(crKey, this.d.caches.fleets.get(req.namespace, req.name)) as
      ChatbotDeployment | undefined;
    // Gone: ownerReferences let the garbage collector delete the children.
    if (!this.d.caches.fleets.get(req.namespace, req.name) || !cr) {
      this.overlay.forgetPrefix(crKey);
      this.overlay.forgetPrefix(`${req.namespace}/${req.name}`, true);
      for (const c of this.d.components) c.forget?.(`${req.namespace}/${req.name}`);
      return {};
    }
    if (cr.metadata.deletionTimestamp) return this.finalize(cr, req.log);
    const ctx = this.observe(cr);
    const merged = await this.runComponents(cr, req.log, ctx);
    await this.ensureFinalizers(cr, merged.finalizers);
    let applyError: string | undefined;
    let deployment = ctx.deployment;
    try {
      deployment = (await this.applyChildren(cr, merged, req.log)) ?? deployment;
    } catch (err) {
      if (!isInvalid(err)) throw err;
      applyError = errorMessage(err);
    }
    await this.writeStatus(cr, merged, { deployment, pods: ctx.pods, applyError }, req.log);
    for (const e of merged.events) this.d.events.record(cr, e.type, e.reason, e.action, e.note);
    // The API server rejected our object: only a spec change can fix it, and that enqueues us.
    if (applyError) throw new TerminalError(applyError);
    return { requeueAfterMs: minDefined(merged.requeueAfterMs, this.d.resyncMs) };
  };

  private observe(cr: ChatbotDeployment): Observed {
    const ns = cr.metadata.namespace ?? '';
    const name = cr.metadata.name ?? '';
    const canary = trackNames.deployment(cr, 'canary');
    return {
      canaryDeployment: this.overlay.fresher(
        `${Resources.Deployment.kind}/${ns}/${canary}`,
        this.d.caches.deployments.get(ns, canary),
      ),
      // The overlay matters here: a stale cached Deployment from before our last apply may look
      // complete and would report Ready for a spec it does not run yet.
      deployment: this.overlay.fresher(
        `${Resources.Deployment.kind}/${ns}/${childNames.deployment(cr)}`,
        this.d.caches.deployments.get(ns, childNames.deployment(cr)),
      ),
      // Bot pods only: managed Redis pods carry the same instance and managed-by labels.
      pods: this.d.caches.pods
        .list(ns)
        .filter(
          (p) => p.metadata.labels?.[LABEL_INSTANCE] === name && p.metadata.labels[LABEL_NAME] === APP_NAME,
        ),
    };
  }

  private async runComponents(
    cr: ChatbotDeployment,
    log: Logger,
    observed: Observed,
  ): Promise<MergedContributions> {
    let merged = emptyContributions();
    for (const component of this.d.components) {
      const contribution = await component.reconcile({
        cr,
        log: log.child({ component: component.name }),
        now: this.d.now(),
        ...observed,
        contributed: merged,
      });
      merged = mergeContribution(merged, contribution);
    }
    return merged;
  }

  /**
   * Applies every child that drifted; returns the Deployment as the API server returned it, if
   * applied. Children other than the Deployment are independent and go in parallel; the
   * Deployment goes last so its pods find their ConfigMap and ServiceAccount.
   */
  private async applyChildren(
    cr: ChatbotDeployment,
    merged: MergedContributions,
    log: Logger,
  ): Promise<KubeObject | undefined> {
    const plans = planChildren(cr, merged, this.d.caches);
    const deploymentPlan = plans.filter((p) => p.resource === Resources.Deployment);
    const others = plans.filter((p) => p.resource !== Resources.Deployment);
    const changes: string[] = [];
    try {
      const first = await Promise.allSettled(others.map((p) => this.applyChild(cr, p, log)));
      for (const r of first) if (r.status === 'fulfilled' && r.value.change) changes.push(r.value.change);
      const failed = first.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
      let deployment: KubeObject | undefined;
      for (const p of deploymentPlan) {
        const r = await this.applyChild(cr, p, log);
        if (r.change) changes.push(r.change);
        // The stable Deployment is the fleet's (status counts it); the canary reports through the rollout.
        if (p.name === childNames.deployment(cr)) deployment = r.written;
      }
      return deployment;
    } finally {
      // One event per reconcile that changed children, not one per child: events are writes too.
      if (changes.length > 0)
        this.d.events.record(cr, 'Normal', 'ChildrenApplied', 'Apply', changes.join(', '));
    }
  }

  private async liveChild(ns: string, p: ChildPlan): Promise<KubeObject | undefined> {
    if (!p.cache) return this.d.client.get(p.resource, ns, p.name);
    return this.overlay.fresher(`${p.resource.kind}/${ns}/${p.name}`, p.cache.get(ns, p.name));
  }

  private async applyChild(
    cr: ChatbotDeployment,
    p: ChildPlan,
    log: Logger,
  ): Promise<{ written?: KubeObject; change?: string }> {
    const ns = cr.metadata.namespace ?? '';
    const live = await this.liveChild(ns, p);
    if (!p.desired) {
      if (live && ownedBy(live, cr) && (await this.d.client.delete(p.resource, ns, p.name))) {
        log.info({ kind: p.resource.kind, child: p.name }, 'deleted child');
        return { change: `deleted ${p.resource.kind} ${p.name}` };
      }
      return {};
    }
    const desired = withAppliedHash(p.desired);
    if (!needsApply(desired, live)) return {};
    const written = await this.d.client.apply(desired, FIELD_MANAGER, { resource: p.resource });
    if (p.cache) this.overlay.remember(`${p.resource.kind}/${ns}/${p.name}`, written);
    const verb = live ? 'updated' : 'created';
    log.info({ kind: p.resource.kind, child: p.name }, `${verb} child`);
    return { written, change: `${verb} ${p.resource.kind} ${p.name}` };
  }

  private async writeStatus(
    cr: ChatbotDeployment,
    merged: MergedContributions,
    observed: { deployment: KubeObject | undefined; pods: KubeObject[]; applyError?: string },
    log: Logger,
  ): Promise<void> {
    const status = computeStatus({
      cr,
      observed: { ...observed, notReady: merged.notReady },
      extraConditions: merged.conditions,
      extraFields: merged.status,
      now: this.d.now(),
    });
    if (statusUpToDate(status, cr.status)) return;
    const written = await this.d.client.apply(
      {
        apiVersion: API_GROUP_VERSION,
        kind: KIND,
        metadata: { name: cr.metadata.name, namespace: cr.metadata.namespace },
        status,
      },
      FIELD_MANAGER,
      { subresource: 'status', resource: Resources.ChatbotDeployment },
    );
    this.overlay.remember(`fleet/${cr.metadata.namespace ?? ''}/${cr.metadata.name ?? ''}`, written);
    log.debug({ conditions: status.conditions?.map((c) => `${c.type}=${c.status}`) }, 'status written');
    for (const e of statusEvents(cr.status?.conditions, status.conditions ?? [])) {
      this.d.events.record(cr, e.type, e.reason, 'Status', e.note);
    }
  }

  /**
   * Sets the finalizers components need and drops ones no longer needed (SSA on
   * metadata.finalizers only: leaving one out of our apply removes it, others' stay).
   */
  private async ensureFinalizers(cr: ChatbotDeployment, finalizers: string[]): Promise<void> {
    const present = cr.metadata.finalizers ?? [];
    const ours = new Set(this.d.components.map((c) => c.finalizer).filter((f) => f !== undefined));
    const missing = finalizers.some((f) => !present.includes(f));
    const stale = present.some((f) => ours.has(f) && !finalizers.includes(f));
    if (missing || stale) await this.applyFinalizers(cr, finalizers);
  }

  private async applyFinalizers(cr: ChatbotDeployment, finalizers: string[]): Promise<void> {
    const obj = {
      apiVersion: API_GROUP_VERSION,
      kind: KIND,
      metadata: { name: cr.metadata.name, namespace: cr.metadata.namespace, finalizers },
    };
    try {
      await this.d.client.apply(obj, FIELD_MANAGER, { resource: Resources.ChatbotDeployment });
    } catch (err) {
      if (!isNotFound(err)) throw err; // deleted meanwhile: nothing to hold
    }
  }

  private async finalize(cr: ChatbotDeployment, log: Logger): Promise<ReconcileResult> {
    const ours = this.d.components.filter(
      (c) => c.finalizer && c.finalize && cr.metadata.finalizers?.includes(c.finalizer),
    );
    if (ours.length === 0) return {};
    let requeue: number | undefined;
    const remaining: string[] = [];
    for (const c of ours) {
      const r = await c.finalize!({ cr, log: log.child({ component: c.name }) });
      if (!r.done) {
        remaining.push(c.finalizer!);
        requeue = minDefined(requeue, r.requeueAfterMs ?? 5000);
      }
    }
    if (remaining.length < ours.length) await this.applyFinalizers(cr, remaining);
    return requeue === undefined ? {} : { requeueAfterMs: requeue };
  }
}

function ownedBy(obj: KubeObject, cr: ChatbotDeployment): boolean {
  return (obj.metadata.ownerReferences ?? []).some((r) => r.controller && r.uid === cr.metadata.uid);
}

/**
 * Status written by us is complete, so a subset check plus equal condition count is equality. Except
 * status.rollout, whose optional fields come and go (stepStartedAt, canary, ...): a field left in live
 * but no longer desired must be removed (the new leader resumes from it), so it is compared both ways.
 */
export function statusUpToDate(
  desired: ChatbotDeploymentStatus,
  live: ChatbotDeploymentStatus | undefined,
): boolean {
  if (live === undefined || !isSubset(desired, live)) return false;
  return desired.rollout === undefined || isSubset(live.rollout, desired.rollout);
}
