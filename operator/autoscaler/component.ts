import type { Registry } from 'prom-client';
import type {
  ComponentContext,
  ComponentEvent,
  Contribution,
  FleetComponent,
} from '../controller/component.js';
import { fleetKey } from '../controller/fleet-key.js';
import { RUNTIME_PORT } from '../workload/defaults.js';
import type { ConditionInput } from '../workload/status.js';
import { trackOf } from '../workload/tracks.js';
import type { ChatbotDeployment, Condition, KubeObject } from '../workload/types.js';
import { FleetAutoscaler } from './fleet-autoscaler.js';
import type { EvaluateResult, ScalingCondition, StatusAutoscaling } from './scaling-result.js';
import { registerAutoscalerMetrics } from './metrics.js';
import { PAUSED_ANNOTATION, resolveScalingPolicy } from './policy.js';
import { PodOwnership, type ReplicaSetReader } from './sources/pod-ownership.js';

/** Container port of the bot runtime (chat and /metrics): CONTRACT.md "Ports". */
export const BOT_METRICS_PORT = RUNTIME_PORT;

/**
 * Turns the fleet's ready pods into base URLs for the scrape source. The default reads each pod's
 * status.podIP; tests that run kwok pods (fake IPs nobody listens on) inject a resolver that maps
 * the pods onto real bot-runtime processes on 127.0.0.1. Keep it pure: it runs on every evaluation.
 */
export type EndpointResolver = (readyPods: KubeObject[], cbd: ChatbotDeployment) => string[];

export const podIpEndpoints: EndpointResolver = (pods) =>
  pods
    .map((p) => (p.status as { podIP?: string } | undefined)?.podIP)
    .filter((ip): ip is string => typeof ip === 'string' && ip !== '')
    .map((ip) => `http://${ip.includes(':') ? `[${ip}]` : ip}:${BOT_METRICS_PORT}`);

export interface AutoscalerComponentOptions {
  autoscaler: FleetAutoscaler;
  resolveEndpoints?: EndpointResolver;
  /** Keeps only pods the CR controls (ownerReference chain); without it every labelled pod counts. */
  ownership?: PodOwnership;
}

/** Status values within these bands of what is already written count as unchanged (no status write). */
const LATENCY_DEADBAND = { relative: 0.1, absoluteMs: 10 };
/** In-flight per pod is a noisy leading gauge (±30 % between evaluations under steady load is normal). */
const INFLIGHT_DEADBAND = { relative: 0.5, absolute: 1 };
/** A requeue that fires this much early still counts as due (timers are not exact). */
const DUE_SLACK_MS = 100;
/** CRD limits: status.autoscaling.reason maxLength 1024; events.k8s.io note is limited to 1 kB. */
const MAX_TEXT = 1024;
const SCALING_CONDITIONS = ['ScalingActive', 'ScalingLimited', 'SLOMet', 'FallbackActive'];

interface Published {
  autoscaling: Record<string, unknown>;
  conditions: ConditionInput[];
}

interface FleetEntry {
  /** Epoch ms when the next evaluation is due. */
  dueAt: number;
  /** Spec generation and pause annotation of the evaluation: a change re-evaluates at once. */
  inputs: string;
  replicas: number;
  published: Published;
}

/**
 * The SLO autoscaler as a FleetComponent (see operator/controller/component.ts). On every reconcile
 * it contributes the Deployment's spec.replicas (the core applies it under the one field manager,
 * no HPA exists), status.autoscaling, the ScalingActive / ScalingLimited / SLOMet / FallbackActive
 * conditions, one Event per scale naming the signal, and requeueAfterMs for the next evaluation.
 *
 * Reconciles happen for many reasons (pod and status events); metrics are fetched and the core is
 * evaluated only when the fleet's interval is due or its spec changed, otherwise the last decision
 * is repeated. Status values that moved only within a small deadband (latency, in-flight, numbers
 * in messages) keep what is already written, so a fleet in steady state issues no writes.
 */
export class AutoscalerComponent implements FleetComponent {
  readonly name = 'autoscaler';
  private readonly fleets = new Map<string, FleetEntry>();
  private readonly resolveEndpoints: EndpointResolver;

  constructor(private readonly options: AutoscalerComponentOptions) {
    this.resolveEndpoints = options.resolveEndpoints ?? podIpEndpoints;
  }

  async reconcile(ctx: ComponentContext): Promise<Contribution> {
    const key = fleetKey(ctx.cbd);
    const now = ctx.now.getTime();
    const entry = this.fleets.get(key);
    const inputs = evaluationInputs(ctx.cbd);
    if (entry && entry.inputs === inputs && now + DUE_SLACK_MS < entry.dueAt) {
      return { ...contributionOf(entry), requeueAfterMs: entry.dueAt - now };
    }
    const result = await this.evaluate(ctx, now);
    const published = publish(result, ctx.cbd);
    const next: FleetEntry = {
      dueAt: now + result.requeueAfterSeconds * 1000,
      inputs,
      replicas: result.desiredReplicas,
      published,
    };
    this.fleets.set(key, next);
    if (result.event) {
      ctx.log.info(
        { from: currentReplicas(ctx), to: result.desiredReplicas, signal: result.decision.signal },
        result.event.message,
      );
    }
    return {
      ...contributionOf(next),
      requeueAfterMs: result.requeueAfterSeconds * 1000,
      ...(result.event ? { events: [scaleEvent(result.event)] } : {}),
    };
  }

  /** Called by the reconciler once the ChatbotDeployment is gone: drops its memory and metric series. */
  forget(key: string): void {
    this.fleets.delete(key);
    this.options.autoscaler.forget(key);
  }

  private async evaluate(ctx: ComponentContext, now: number): Promise<EvaluateResult> {
    const { autoscaler, ownership } = this.options;
    const read = {
      cbd: ctx.cbd,
      now,
      signal: ctx.signal,
      // A fleet being created: no pod can exist, and a metrics read would only delay its first apply.
      nothingToRead: ctx.deployment === undefined ? 'no pods yet: the fleet is being created' : undefined,
    };
    // A Prometheus needs no pod addresses: its read overlaps the ownership check (whose first pass for
    // a new ReplicaSet is a GET) instead of waiting for it.
    const early = autoscaler.readsPodEndpoints(ctx.cbd)
      ? undefined
      : autoscaler.observe({ ...read, podEndpoints: [] });
    // Spoofed pods (copied labels) are neither scraped nor counted as ready.
    const pods = ownership
      ? await ownership.controlled(ctx.cbd, [ctx.deployment, ctx.canaryDeployment], ctx.pods)
      : ctx.pods;
    // The stable track only: a slow canary must lead to a rollback, not a scale-out (docs/rollouts.md).
    const ready = pods.filter((p) => isReadyPod(p) && trackOf(p) === 'stable');
    return autoscaler.evaluate(
      {
        ...read,
        currentReplicas: currentReplicas(ctx),
        readyReplicas: ready.length,
        podEndpoints: [...new Set(this.resolveEndpoints(ready, ctx.cbd))],
      },
      early,
    );
  }
}

/**
 * The production wiring: one FleetAutoscaler per operator, its per-fleet metrics on the operator registry.
 * Returns a factory the manager calls with its client, which reads the ReplicaSets that prove a pod
 * belongs to the fleet (PodOwnership).
 */
export function createAutoscalerComponent(opts: {
  registry: Registry;
  prometheusUrl?: string | undefined;
  resolveEndpoints?: EndpointResolver;
}): (client: ReplicaSetReader) => AutoscalerComponent {
  const autoscaler = new FleetAutoscaler({
    metrics: registerAutoscalerMetrics(opts.registry),
    prometheusUrl: opts.prometheusUrl || undefined,
  });
  return (client) =>
    new AutoscalerComponent({
      autoscaler,
      ownership: new PodOwnership(client),
      ...(opts.resolveEndpoints ? { resolveEndpoints: opts.resolveEndpoints } : {}),
    });
}

function evaluationInputs(cbd: ChatbotDeployment): string {
  return `${cbd.metadata.generation ?? 0}|${cbd.metadata.annotations?.[PAUSED_ANNOTATION] ?? ''}`;
}

/**
 * The Deployment's spec.replicas: after an operator restart the fleet continues from there (never
 * from minReplicas). Before the Deployment exists the fleet starts at minReplicas.
 */
export function currentReplicas(ctx: Pick<ComponentContext, 'cbd' | 'deployment'>): number {
  const replicas = (ctx.deployment?.spec as { replicas?: number } | undefined)?.replicas;
  if (typeof replicas === 'number') return replicas;
  return resolveScalingPolicy(ctx.cbd).minReplicas;
}

export function isReadyPod(pod: KubeObject): boolean {
  if (pod.metadata.deletionTimestamp) return false;
  const status = pod.status as { conditions?: { type: string; status: string }[] } | undefined;
  return (status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function contributionOf(entry: FleetEntry): Contribution {
  return {
    replicas: entry.replicas,
    status: { autoscaling: entry.published.autoscaling },
    conditions: entry.published.conditions,
  };
}

function scaleEvent(e: NonNullable<EvaluateResult['event']>): ComponentEvent {
  return { type: e.type, reason: e.reason, action: 'Scale', note: truncate(e.message) };
}

function truncate(text: string): string {
  return text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT - 3)}...`;
}

/** Numbers stripped: "p95 latency 412ms" and "p95 latency 415ms" have the same shape. */
function shape(text: string | undefined): string {
  return (text ?? '').replace(/\d+(\.\d+)?/g, '#');
}

function withinBand(
  next: unknown,
  live: unknown,
  band: { relative: number; absolute?: number; absoluteMs?: number },
): boolean {
  if (next === undefined || live === undefined) return next === live;
  if (typeof next !== 'number' || typeof live !== 'number') return false;
  const absolute = band.absolute ?? band.absoluteMs ?? 0;
  return Math.abs(next - live) <= Math.max(Math.abs(live) * band.relative, absolute);
}

/** status.autoscaling as the CRD accepts it: no nulls (not nullable there), reason within maxLength. */
export function autoscalingStatus(s: StatusAutoscaling, liveLastScaleTime: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {
    desiredReplicas: s.desiredReplicas,
    mode: s.mode,
    reason: truncate(s.reason),
  };
  if (s.observedLatencyMs !== null) out.observedLatencyMs = s.observedLatencyMs;
  if (s.inflightPerPod !== null) out.inflightPerPod = s.inflightPerPod;
  // After an operator restart the core has no lastScaleTime: keep the one already written.
  const lastScaleTime =
    s.lastScaleTime ?? (typeof liveLastScaleTime === 'string' ? liveLastScaleTime : undefined);
  if (lastScaleTime !== undefined) out.lastScaleTime = lastScaleTime;
  return out;
}

function autoscalingUnchanged(
  next: Record<string, unknown>,
  live: Record<string, unknown> | undefined,
): boolean {
  if (live === undefined) return false;
  return (
    next.desiredReplicas === live.desiredReplicas &&
    next.mode === live.mode &&
    next.lastScaleTime === live.lastScaleTime &&
    shape(next.reason as string) === shape(live.reason as string | undefined) &&
    withinBand(next.observedLatencyMs, live.observedLatencyMs, LATENCY_DEADBAND) &&
    withinBand(next.inflightPerPod, live.inflightPerPod, INFLIGHT_DEADBAND)
  );
}

function conditionUnchanged(next: ScalingCondition, live: Condition | undefined): boolean {
  return (
    live !== undefined &&
    live.status === next.status &&
    live.reason === next.reason &&
    shape(live.message) === shape(next.message)
  );
}

/**
 * What to contribute to status for this evaluation: the new values when something a reader acts on
 * changed (replicas, mode, a condition's status or reason, the wording of the reason, latency or
 * in-flight outside the deadband), else exactly what is written already.
 */
export function publish(result: EvaluateResult, cbd: ChatbotDeployment): Published {
  const liveStatus = cbd.status as
    { autoscaling?: Record<string, unknown>; conditions?: Condition[] } | undefined;
  const live = liveStatus?.autoscaling;
  const next = autoscalingStatus(result.statusAutoscaling, live?.lastScaleTime);
  const liveConditions = new Map((liveStatus?.conditions ?? []).map((c) => [c.type, c]));
  const conditions = result.conditions.filter((c) => SCALING_CONDITIONS.includes(c.type));
  const unchanged =
    autoscalingUnchanged(next, live) &&
    conditions.every((c) => conditionUnchanged(c, liveConditions.get(c.type)));
  if (!unchanged) {
    return { autoscaling: next, conditions: conditions.map((c) => ({ ...c, message: truncate(c.message) })) };
  }
  return {
    autoscaling: live ?? next,
    conditions: conditions.map((c) => ({ ...c, message: liveConditions.get(c.type)?.message ?? c.message })),
  };
}
