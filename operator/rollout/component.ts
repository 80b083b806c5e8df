import type { Registry } from 'prom-client';
import type {
  ComponentContext,
  ComponentEvent,
  Contribution,
  FleetComponent,
  TracksContribution,
} from '../controller/component.js';
import type { KubeClient } from '../kube/client.js';
import { Resources } from '../kube/resources.js';
import type { ConditionInput } from '../workload/status.js';
import { trackNames } from '../workload/tracks.js';
import type { ChatbotDeployment } from '../workload/types.js';
import { ROLLOUT_ACTION_ANNOTATION } from './annotation.js';
import { rolloutChildren } from './children.js';
import { decide, parseAction, rolloutCondition, targetOf } from './core/index.js';
import type { RolloutDecision, RolloutObserved, RolloutState } from './core/types.js';
import { forgetRolloutMetrics, observeRollout, registerRolloutMetrics } from './metrics.js';
import type { RolloutMetrics } from './metrics.js';
import {
  fleetReady,
  missingBundleCondition,
  onlyStablePodsOf,
  persistedState,
  plain,
  progressingCondition,
  promotionTarget,
  rolloutActive,
  toTrack,
  trackRunning,
} from './observe.js';
import { RolloutScraper } from './scraper.js';
import type { ScrapeResult } from './scraper.js';

/** While the canary or the routing is not confirmed yet, look again this soon (weights reach pods in <= 5 s). */
const CONFIRM_POLL_MS = 2000;
const WAITING = new Set(['RolloutStarted', 'WaitingForCanary', 'WaitingForRouting', 'Promoting']);
/** events.k8s.io note limit is 1 kB. */
const MAX_NOTE = 1024;

export interface RolloutComponentOptions {
  /** Reads the canary's bundle ConfigMap (a user object, not in the operator's caches). */
  client: Pick<KubeClient, 'get'>;
  registry: Registry;
  scraper?: RolloutScraper;
}

/**
 * Progressive delivery as a FleetComponent (docs/rollouts.md). On every reconcile it reads the CR, the
 * persisted status.rollout, both tracks' Deployments and pods, the pods' routing generation and per-track
 * counters (only while a rollout is active), and the manual-action annotation; the pure core
 * (operator/rollout/core) decides. It contributes: `tracks` (the revision each Deployment runs and the
 * canary's share of capacity), the routing ConfigMap and its Role/RoleBinding, status.rollout,
 * RolloutHealthy and the Progressing reason, Degraded when the canary's bundle is missing, Events, and the
 * next requeue. Everything it contributes is a function of status plus observations, so a new leader
 * resumes from status, and a fleet at rest contributes the same objects every time (no writes).
 */
export class RolloutComponent implements FleetComponent {
  readonly name = 'rollout';
  private readonly scraper: RolloutScraper;
  private readonly metrics: RolloutMetrics;

  constructor(private readonly o: RolloutComponentOptions) {
    this.scraper = o.scraper ?? new RolloutScraper();
    this.metrics = registerRolloutMetrics(o.registry);
  }

  async reconcile(ctx: ComponentContext): Promise<Contribution> {
    const { cbd, now } = ctx;
    const fleet = fleetOf(cbd);
    const before = persistedState(cbd);
    const active = rolloutActive(before);
    const scrape = active
      ? await this.scraper.scrape(key(fleet), cbd, ctx.pods, before?.analysisWindowStart, now, ctx.signal)
      : undefined;
    const bundle = active ? before?.canary?.model.bundleConfigMap : undefined;
    const bundleMissing = await this.missing(fleet.namespace, bundle);
    const decision = decide(cbd.spec, before, observe(ctx, before, scrape, bundleMissing), now);
    observeRollout(this.metrics, fleet, before, decision.state);
    if (decision.state.phase !== before?.phase || decision.state.reason !== before.reason) {
      ctx.log.info({ phase: decision.state.phase, reason: decision.state.reason }, 'rollout state');
    }
    const conditions = rolloutConditions(decision.state);
    if (bundleMissing && bundle !== undefined && rolloutActive(decision.state)) {
      conditions.push(missingBundleCondition(cbd, bundle));
    }
    return {
      tracks: tracksOf(cbd, decision),
      children: rolloutChildren(cbd, decision.routing),
      status: { rollout: plain(decision.state) },
      conditions,
      events: decision.events.map(toEvent),
      ...requeue(cbd, decision),
    };
  }

  /** The canary's bundle ConfigMap (a user object, outside the operator's caches) does not exist. */
  private async missing(namespace: string, bundle: string | undefined): Promise<boolean> {
    if (bundle === undefined) return false;
    return (await this.o.client.get(Resources.ConfigMap, namespace, bundle)) === undefined;
  }

  forget(fleetKey: string): void {
    this.scraper.forget(fleetKey);
    const [namespace = '', name = ''] = fleetKey.split('/');
    forgetRolloutMetrics(this.metrics, { namespace, name });
  }
}

function observe(
  ctx: ComponentContext,
  before: RolloutState | undefined,
  scrape: ScrapeResult | undefined,
  bundleMissing: boolean,
): RolloutObserved {
  const action = parseAction(ctx.cbd.metadata.annotations?.[ROLLOUT_ACTION_ANNOTATION]);
  const target = targetOf(ctx.cbd.spec);
  const promoted = promotionTarget(before, target);
  return {
    target,
    fleetReady: fleetReady(ctx.cbd),
    canaryReady: !bundleMissing && trackRunning(ctx.canaryDeployment, before?.canary),
    // ... and no old stable pod still serving (terminating pods included): see onlyStablePodsOf
    stableUpdated: trackRunning(ctx.deployment, promoted) && onlyStablePodsOf(ctx.pods, promoted),
    ...(scrape?.minRoutingGeneration !== undefined
      ? { minRoutingGeneration: scrape.minRoutingGeneration }
      : {}),
    ...(scrape?.analysis ? { analysis: scrape.analysis } : {}),
    ...(action ? { action } : {}),
  };
}

function tracksOf(cbd: ChatbotDeployment, d: RolloutDecision): TracksContribution {
  return {
    stable: toTrack(d.stableRevision),
    ...(d.canaryRevision
      ? { canary: { revision: toTrack(d.canaryRevision), share: d.canaryReplicasShare } }
      : {}),
    routingConfigMap: trackNames.routingConfigMap(cbd),
  };
}

function rolloutConditions(state: RolloutState): ConditionInput[] {
  const healthy = rolloutCondition(state);
  const out: ConditionInput[] = [{ ...healthy, message: healthy.message.slice(0, MAX_NOTE) }];
  const progressing = progressingCondition(state);
  if (progressing) out.push(progressing);
  return out;
}

function requeue(cbd: ChatbotDeployment, d: RolloutDecision): { requeueAfterMs?: number } {
  let ms = d.requeueAfterMs;
  if (rolloutActive(d.state)) {
    const poll = WAITING.has(d.state.reason)
      ? CONFIRM_POLL_MS
      : cbd.spec.rollout.analysis.intervalSeconds * 1000;
    ms = ms === undefined ? poll : Math.min(ms, poll);
  }
  return ms === undefined ? {} : { requeueAfterMs: Math.max(100, ms) };
}

function toEvent(e: RolloutDecision['events'][number]): ComponentEvent {
  return { type: e.type, reason: e.reason, action: 'Rollout', note: e.note.slice(0, MAX_NOTE) };
}

function fleetOf(cbd: ChatbotDeployment): { namespace: string; name: string } {
  return { namespace: cbd.metadata.namespace ?? '', name: cbd.metadata.name ?? '' };
}

function key(f: { namespace: string; name: string }): string {
  return `${f.namespace}/${f.name}`;
}

/** The production wiring: pods read at their IPs, metrics on the operator registry, the operator's client. */
export function createRolloutComponent(
  opts: Omit<RolloutComponentOptions, 'client'>,
): (client: KubeClient) => RolloutComponent {
  return (client) => new RolloutComponent({ ...opts, client });
}
