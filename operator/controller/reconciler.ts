import type { Logger } from 'pino';
import { withDefaults } from '../api/defaults.js';
import type { KubeClient } from '../kube/client.js';
import type { EventRecorder } from '../kube/events.js';
import { errorMessage, isInvalid, isNotFound } from '../kube/errors.js';
import { Resources } from '../kube/resources.js';
import { FIELD_MANAGER, childNames } from '../workload/labels.js';
import { computeStatus } from '../workload/status.js';
import { trackNames } from '../workload/tracks.js';
import type { ChatbotDeployment, KubeObject } from '../workload/types.js';
import { API_GROUP_VERSION, KIND } from '../workload/types.js';
import type { FleetComponent, MergedContributions } from './component.js';
import { emptyContributions, mergeContribution, minDefined } from './component.js';
import type { ReconcileRequest, ReconcileResult } from './controller.js';
import { TerminalError } from './controller.js';
import { statusEvents } from './status-events.js';
import { WriteOverlay } from './overlay.js';
import { withNameConflict } from './ownership.js';
import {
  ConflictBackoff,
  finalizersChange,
  isBotPodOf,
  statusUpToDate,
  statusWaitsForDeployment,
} from './reconcile-decisions.js';
import { fleetKey } from './fleet-key.js';
import type { NameConflict } from './ownership.js';
import { ChildApplier } from './children.js';
import type { Applied } from './children.js';

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
  /** The operator's term (leadership): handed to components as ComponentContext.signal. */
  signal?: AbortSignal;
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
  /** The uid last seen for each fleet (`namespace/name`): the overlay forgets a fleet's writes by owner uid. */
  private readonly fleetUids = new Map<string, string>();
  private readonly conflictBackoff = new ConflictBackoff();

  private readonly children: ChildApplier;

  constructor(private readonly d: FleetReconcilerDeps) {
    this.children = new ChildApplier({ ...d, overlay: this.overlay });
  }

  readonly reconcile = async (req: ReconcileRequest): Promise<ReconcileResult> => {
    const key = fleetKey({ metadata: req });
    const stored = this.overlay.fresher(`fleet/${key}`, this.d.caches.fleets.get(req.namespace, req.name)) as
      ChatbotDeployment | undefined;
    // Gone: ownerReferences let the garbage collector delete the children.
    if (!this.d.caches.fleets.get(req.namespace, req.name) || !stored) {
      this.forgetFleet(key, stored?.metadata.uid);
      return {};
    }
    // The one place defaults are applied (the CRD schema's, as the API server applies them): components
    // receive this defaulted object and never restate a default of their own.
    const cbd = withDefaults(stored);
    this.trackUid(key, cbd.metadata.uid);
    if (cbd.metadata.deletionTimestamp) return this.finalize(cbd, req.log);
    const ctx = this.observe(cbd);
    const merged = await this.runComponents(cbd, req.log, ctx);
    await this.ensureFinalizers(cbd, merged.finalizers);
    let applyError: string | undefined;
    let applied: Applied = { deployment: undefined, conflicts: [] };
    try {
      applied = await this.children.applyAll(cbd, merged, req.log, { isNew: !ctx.deployment });
    } catch (err) {
      if (!isInvalid(err)) throw err;
      applyError = errorMessage(err);
    }
    const deployment = applied.deployment ?? ctx.deployment;
    const { conflicts } = applied;
    const problem = applyError !== undefined || conflicts.length > 0;
    if (!statusWaitsForDeployment(ctx.deployment, applied.deployment, problem)) {
      await this.writeStatus(cbd, merged, { deployment, pods: ctx.pods, applyError, conflicts }, req.log);
    }
    for (const e of merged.events) this.d.events.record(cbd, e.type, e.reason, e.action, e.note);
    // The API server rejected our object: only a spec change can fix it, and that enqueues us.
    if (applyError) throw new TerminalError(applyError);
    const requeue = minDefined(merged.requeueAfterMs, this.d.resyncMs);
    return {
      requeueAfterMs: minDefined(
        requeue,
        this.conflictBackoff.requeueMs(key, conflicts.length > 0, this.d.now().getTime()),
      ),
    };
  };

  /** A fleet recreated under its old name has a new uid: the old one's writes are forgotten. */
  private trackUid(key: string, uid: string | undefined): void {
    const previous = this.fleetUids.get(key);
    if (previous !== undefined && previous !== uid) this.forgetOwner(previous);
    if (uid === undefined) this.fleetUids.delete(key);
    else this.fleetUids.set(key, uid);
  }

  /** Everything remembered per child of the fleet with this uid: written objects, verified uncached children. */
  private forgetOwner(uid: string): void {
    this.overlay.forgetOwner(uid);
    this.children.forgetOwner(uid);
  }

  private forgetFleet(key: string, uidFromOverlay: string | undefined): void {
    for (const uid of new Set([this.fleetUids.get(key), uidFromOverlay])) {
      if (uid !== undefined) this.forgetOwner(uid);
    }
    this.fleetUids.delete(key);
    this.conflictBackoff.forget(key);
    for (const c of this.d.components) c.forget?.(key);
  }

  private observe(cbd: ChatbotDeployment): Observed {
    const ns = cbd.metadata.namespace ?? '';
    const name = cbd.metadata.name ?? '';
    const canary = trackNames.deployment(cbd, 'canary');
    return {
      canaryDeployment: this.overlay.fresher(
        `${Resources.Deployment.kind}/${ns}/${canary}`,
        this.d.caches.deployments.get(ns, canary),
      ),
      // The overlay matters here: a stale cached Deployment from before our last apply may look
      // complete and would report Ready for a spec it does not run yet.
      deployment: this.overlay.fresher(
        `${Resources.Deployment.kind}/${ns}/${childNames.deployment(cbd)}`,
        this.d.caches.deployments.get(ns, childNames.deployment(cbd)),
      ),
      // Bot pods only: managed Redis pods carry the same instance and managed-by labels.
      pods: this.d.caches.pods.list(ns).filter((p) => isBotPodOf(p, name)),
    };
  }

  private async runComponents(
    cbd: ChatbotDeployment,
    log: Logger,
    observed: Observed,
  ): Promise<MergedContributions> {
    let merged = emptyContributions();
    for (const component of this.d.components) {
      const contribution = await component.reconcile({
        cbd,
        log: log.child({ component: component.name }),
        now: this.d.now(),
        ...observed,
        ...(this.d.signal ? { signal: this.d.signal } : {}),
      });
      merged = mergeContribution(merged, contribution);
    }
    return merged;
  }

  private async writeStatus(
    cbd: ChatbotDeployment,
    merged: MergedContributions,
    observed: {
      deployment: KubeObject | undefined;
      pods: KubeObject[];
      applyError?: string | undefined;
      conflicts: NameConflict[];
    },
    log: Logger,
  ): Promise<void> {
    const { conflicts, ...workload } = observed;
    const now = this.d.now();
    const computed = computeStatus({
      cbd,
      observed: { ...workload, notReady: merged.notReady },
      extraConditions: merged.conditions,
      extraFields: merged.status,
      now,
    });
    const status = withNameConflict(computed, cbd, conflicts, now);
    if (statusUpToDate(status, cbd.status)) return;
    const written = await this.d.client.apply(
      {
        apiVersion: API_GROUP_VERSION,
        kind: KIND,
        metadata: { name: cbd.metadata.name, namespace: cbd.metadata.namespace },
        status,
      },
      FIELD_MANAGER,
      { subresource: 'status', resource: Resources.ChatbotDeployment },
    );
    this.overlay.remember(`fleet/${fleetKey(cbd)}`, written);
    log.debug({ conditions: status.conditions?.map((c) => `${c.type}=${c.status}`) }, 'status written');
    for (const e of statusEvents(cbd.status?.conditions, status.conditions ?? [])) {
      this.d.events.record(cbd, e.type, e.reason, 'Status', e.note);
    }
  }

  /**
   * Sets the finalizers components need and drops ones no longer needed (SSA on
   * metadata.finalizers only: leaving one out of our apply removes it, others' stay).
   */
  private async ensureFinalizers(cbd: ChatbotDeployment, finalizers: string[]): Promise<void> {
    const ours = this.d.components.map((c) => c.finalizer).filter((f) => f !== undefined);
    if (finalizersChange(cbd.metadata.finalizers ?? [], finalizers, ours)) {
      await this.applyFinalizers(cbd, finalizers);
    }
  }

  private async applyFinalizers(cbd: ChatbotDeployment, finalizers: string[]): Promise<void> {
    const obj = {
      apiVersion: API_GROUP_VERSION,
      kind: KIND,
      metadata: { name: cbd.metadata.name, namespace: cbd.metadata.namespace, finalizers },
    };
    try {
      await this.d.client.apply(obj, FIELD_MANAGER, { resource: Resources.ChatbotDeployment });
    } catch (err) {
      if (!isNotFound(err)) throw err; // deleted meanwhile: nothing to hold
    }
  }

  private async finalize(cbd: ChatbotDeployment, log: Logger): Promise<ReconcileResult> {
    const ours = this.d.components.filter(
      (c) => c.finalizer && c.finalize && cbd.metadata.finalizers?.includes(c.finalizer),
    );
    if (ours.length === 0) return {};
    let requeue: number | undefined;
    const remaining: string[] = [];
    for (const c of ours) {
      const r = await c.finalize!({
        cbd,
        log: log.child({ component: c.name }),
        now: this.d.now(),
        ...(this.d.signal ? { signal: this.d.signal } : {}),
      });
      for (const e of r.events ?? []) this.d.events.record(cbd, e.type, e.reason, e.action, e.note);
      if (!r.done) {
        remaining.push(c.finalizer!);
        requeue = minDefined(requeue, r.requeueAfterMs ?? 5000);
      }
    }
    if (remaining.length < ours.length) await this.applyFinalizers(cbd, remaining);
    return requeue === undefined ? {} : { requeueAfterMs: requeue };
  }
}
