/**
 * `decide`: the rollout state machine, a pure function of (spec, persisted state, observed cluster, clock).
 * Deterministic; a steady state returns an equal state (no timestamp that moves on every call).
 * The semantics are written out in docs/rollouts.md ("How the rollout decides").
 */
import { handleAction, handleSpecPause, handleTarget } from './actions.js';
import { graceMs, intervalMs, inconclusivePauseMs, runAnalysis } from './analysis.js';
import { revisionFor } from './revision.js';
import { routingFor, update } from './routing.js';
import { advanceSteps } from './steps.js';
import { abortRollout, completePromotion, elapsedMs, withReason, type Context } from './transitions.js';
import type {
  Revision,
  RolloutDecision,
  RolloutInputSpec,
  RolloutObserved,
  RolloutState,
  Target,
} from './types.js';

/** State of a fleet without status.rollout: its current target is the stable version (no canary). */
export function initialState(target: Target): RolloutState {
  const stable = revisionFor(target, undefined);
  return {
    phase: 'Idle',
    reason: 'NoRollout',
    message: `serving ${stable.version}`,
    stableVersion: stable.version,
    stable,
    currentStepIndex: 0,
    canaryWeight: 0,
    failedChecks: 0,
    lastAnalysis: [],
    routingGeneration: 1,
  };
}

function delivered(ctx: Context, state: RolloutState): boolean {
  const reported = ctx.observed.minRoutingGeneration;
  return reported !== undefined && reported >= state.routingGeneration;
}

/** Canary not Ready, or routing not yet applied by every pod: wait, and abort after progressDeadlineSeconds. */
function waitOnCluster(ctx: Context, state: RolloutState): RolloutState | undefined {
  const ready = ctx.observed.canaryReady;
  if (ready && delivered(ctx, state)) return undefined;
  const stalled = state.stalledSince === undefined ? { ...state, stalledSince: ctx.nowIso } : state;
  const what = ready
    ? `routing generation ${state.routingGeneration} is not yet reported by every pod`
    : 'the canary is not Ready';
  const deadline = ctx.spec.rollout.progressDeadlineSeconds;
  if (elapsedMs(ctx, stalled.stalledSince) > deadline * 1000)
    return abortRollout(ctx, stalled, 'ProgressDeadlineExceeded', `${what} after ${deadline} s`);
  if (stalled.phase !== 'Progressing') return stalled;
  return withReason(
    stalled,
    ready ? 'WaitingForRouting' : 'WaitingForCanary',
    `weight ${state.canaryWeight}: ${what}`,
  );
}

/** The canary track is live at its weight: open the window and step clock, check, then advance. */
function progressCanary(ctx: Context, state: RolloutState): RolloutState {
  const waiting = waitOnCluster(ctx, state);
  if (waiting !== undefined) return waiting;
  let next = state;
  if (next.stalledSince !== undefined) next = update(next, { stalledSince: undefined });
  if (next.stepStartedAt === undefined) next = { ...next, stepStartedAt: ctx.nowIso };
  if (next.canaryWeight > 0) {
    if (next.analysisWindowStart === undefined) next = { ...next, analysisWindowStart: ctx.nowIso };
    next = runAnalysis(ctx, next);
  }
  return next.phase === 'Progressing' ? advanceSteps(ctx, next) : next;
}

function progress(ctx: Context, state: RolloutState): RolloutState {
  if (state.phase === 'Progressing' || state.phase === 'Paused') return progressCanary(ctx, state);
  if (state.phase === 'Promoting' && ctx.observed.stableUpdated) return completePromotion(ctx, state);
  return state;
}

/**
 * The revision the stable Deployment must run: the promoted canary while Promoting, else the stable one.
 * `observed.stableUpdated` means "the stable Deployment runs this revision on every pod, all Ready".
 */
export function stableRevisionOf(state: RolloutState): Revision {
  return state.phase === 'Promoting' && state.canary !== undefined ? state.canary : state.stable;
}

function canaryRevision(state: RolloutState): Revision | undefined {
  if (state.phase === 'Progressing' || state.phase === 'Paused' || state.phase === 'Aborted')
    return state.canary;
  if (state.phase === 'Promoting' && state.canaryWeight > 0) return state.canary;
  return undefined;
}

/** Capacity share for the current weight; before the first weight, for the first setWeight (so it is warm). */
function canaryShare(ctx: Context, state: RolloutState): number {
  if (state.phase === 'Promoting') return state.canaryWeight / 100;
  if (state.phase !== 'Progressing' && state.phase !== 'Paused') return 0;
  if (state.canaryWeight > 0) return state.canaryWeight / 100;
  const upcoming = ctx.spec.rollout.steps
    .slice(state.currentStepIndex)
    .find((s) => s.setWeight !== undefined);
  return (upcoming?.setWeight ?? 0) / 100;
}

const POLL_MS = 2000;
/** While a window is open, it is looked at this often: its data may fail it before its end (analysis.ts). */
const LOOK_MS = 5000;

function untilMs(ctx: Context, since: string | undefined, afterMs: number): number | undefined {
  return since === undefined ? undefined : afterMs - elapsedMs(ctx, since);
}

function requeueAfter(ctx: Context, state: RolloutState): number | undefined {
  if (state.phase === 'Promoting') return 5000;
  if (state.phase !== 'Progressing' && state.phase !== 'Paused') return undefined;
  const step = ctx.spec.rollout.steps[state.currentStepIndex];
  const window = untilMs(ctx, state.analysisWindowStart, intervalMs(ctx));
  const candidates = [
    state.stalledSince !== undefined ? POLL_MS : undefined,
    state.analysisWindowStart !== undefined && state.canaryWeight > 0 ? LOOK_MS : undefined,
    window !== undefined && window <= 0 ? POLL_MS : window,
    untilMs(ctx, state.stepStartedAt, (step?.pause?.durationSeconds ?? Infinity) * 1000),
    untilMs(ctx, state.inconclusiveSince, inconclusivePauseMs(ctx)),
    intervalMs(ctx) + graceMs(ctx),
  ].filter((ms): ms is number => ms !== undefined && Number.isFinite(ms));
  return Math.min(60_000, Math.max(1000, Math.ceil(Math.min(...candidates))));
}

/** Takes the next step of the rollout. `state` undefined = no status.rollout yet. */
export function decide(
  spec: RolloutInputSpec,
  previous: RolloutState | undefined,
  observed: RolloutObserved,
  now: Date,
): RolloutDecision {
  const ctx: Context = { spec, observed, now, nowIso: now.toISOString(), events: [] };
  let state = previous ?? initialState(observed.target);
  state = handleTarget(ctx, state);
  state = handleAction(ctx, state);
  state = handleSpecPause(ctx, state);
  state = progress(ctx, state);
  const canary = canaryRevision(state);
  const requeueAfterMs = requeueAfter(ctx, state);
  return {
    state,
    routing: routingFor(state),
    stableRevision: stableRevisionOf(state),
    ...(canary !== undefined ? { canaryRevision: canary } : {}),
    canaryReplicasShare: canaryShare(ctx, state),
    events: ctx.events,
    ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}),
  };
}
