/** The state changes every part of `decide` shares: start, abort, pause, step and promotion. */
import { revisionFor } from './revision.js';
import { update } from './routing.js';
import type {
  RolloutEvent,
  RolloutInputSpec,
  RolloutObserved,
  RolloutPhase,
  RolloutReason,
  RolloutState,
} from './types.js';

/** One call of `decide`: its inputs and the events it emits. */
export interface Context {
  spec: RolloutInputSpec;
  observed: RolloutObserved;
  now: Date;
  nowIso: string;
  events: RolloutEvent[];
}

const MESSAGE_MAX = 1024;

export function bounded(message: string): string {
  return message.length <= MESSAGE_MAX ? message : `${message.slice(0, MESSAGE_MAX - 3)}...`;
}

export function emit(
  ctx: Context,
  type: RolloutEvent['type'],
  reason: RolloutEvent['reason'],
  note: string,
): void {
  ctx.events.push({ type, reason, note: bounded(note) });
}

export function withReason(state: RolloutState, reason: RolloutReason, message: string): RolloutState {
  return state.reason === reason && state.message === message
    ? state
    : { ...state, reason, message: bounded(message) };
}

/** Fields of one rollout run, reset when a rollout starts (or restarts). */
function freshRun(ctx: Context): Partial<RolloutState> {
  return {
    currentStepIndex: 0,
    canaryWeight: 0,
    failedChecks: 0,
    lastAnalysis: [],
    startedAt: ctx.nowIso,
    stepStartedAt: undefined,
    inconclusiveSince: undefined,
    stalledSince: undefined,
    analysisWindowStart: undefined,
    lastAnalysisAt: undefined,
    observedCanaryShare: undefined,
    weightSample: undefined,
  };
}

/**
 * Starts a rollout of the observed target. During a promotion the version being promoted is the stable
 * base (the stable Deployment is already taking it). Strategy Immediate, or a fleet that is not Ready
 * (nothing healthy to compare with or protect), updates the stable track in place: straight to Promoting.
 */
export function startRollout(ctx: Context, state: RolloutState): RolloutState {
  const promoting = state.phase === 'Promoting' && state.canary !== undefined;
  const stable = promoting && state.canary !== undefined ? state.canary : state.stable;
  const canary = revisionFor(ctx.observed.target, stable);
  const base = update(state, {
    ...freshRun(ctx),
    stable,
    stableVersion: stable.version,
    canary,
    canaryVersion: canary.version,
  });
  const { strategy } = ctx.spec.rollout;
  if (strategy === 'Immediate' || !ctx.observed.fleetReady) {
    const why = strategy === 'Immediate' ? 'strategy Immediate' : 'the fleet is not Ready';
    const message = `updating ${stable.version} to ${canary.version} in place (${why})`;
    emit(ctx, 'Normal', 'RolloutStarted', message);
    return update(base, { phase: 'Promoting', reason: 'Promoting', message });
  }
  const message = `rolling out ${canary.version} (stable ${stable.version}): waiting for the canary to be Ready`;
  emit(ctx, 'Normal', 'RolloutStarted', `canary ${canary.version} started against stable ${stable.version}`);
  return update(base, { phase: 'Progressing', reason: 'WaitingForCanary', message });
}

/** Restarts an aborted rollout of the same canary from its first step (the `retry` action). */
export function retryRollout(ctx: Context, state: RolloutState): RolloutState {
  const message = `retrying ${state.canaryVersion ?? ''}: waiting for the canary to be Ready`;
  emit(
    ctx,
    'Normal',
    'RolloutStarted',
    `canary ${state.canaryVersion ?? ''} retried against ${state.stableVersion}`,
  );
  return update(state, { ...freshRun(ctx), phase: 'Progressing', reason: 'WaitingForCanary', message });
}

/** Weight 0, pinned canary conversations move to stable (aborted), the canary scales to 0. */
export function abortRollout(
  ctx: Context,
  state: RolloutState,
  reason: RolloutReason,
  message: string,
): RolloutState {
  const note = `rolled back ${state.canaryVersion ?? ''} to ${state.stableVersion}: ${message}`;
  const warn = reason !== 'SpecReverted';
  emit(ctx, warn ? 'Warning' : 'Normal', 'RolledBack', note);
  return update(state, {
    phase: 'Aborted',
    reason,
    message: bounded(note),
    canaryWeight: 0,
    stepStartedAt: undefined,
    inconclusiveSince: undefined,
    stalledSince: undefined,
    analysisWindowStart: undefined,
    weightSample: undefined,
  });
}

export function setPhase(
  state: RolloutState,
  phase: RolloutPhase,
  reason: RolloutReason,
  message: string,
): RolloutState {
  return update(withReason(state, reason, message), { phase });
}

/** After the last step (or promote-full): the stable Deployment takes the canary's template. */
export function promote(state: RolloutState, why: string): RolloutState {
  const message = `promoting ${state.canaryVersion ?? ''}: the stable track takes the new version (${why})`;
  return update(state, {
    phase: 'Promoting',
    reason: 'Promoting',
    message,
    stepStartedAt: undefined,
    inconclusiveSince: undefined,
    stalledSince: undefined,
    analysisWindowStart: undefined,
    weightSample: undefined,
  });
}

/** Every stable pod runs the promoted version and is Ready: the canary goes away. */
export function completePromotion(ctx: Context, state: RolloutState): RolloutState {
  const promoted = state.canary ?? state.stable;
  const message = `${promoted.version} promoted: every stable pod runs it`;
  emit(ctx, 'Normal', 'Promoted', message);
  return update(state, {
    phase: 'Promoted',
    reason: 'Promoted',
    message,
    stable: promoted,
    stableVersion: promoted.version,
    canary: undefined,
    canaryVersion: undefined,
    canaryWeight: 0,
    observedCanaryShare: undefined,
  });
}

/** Moves to the next step; the step takes effect now (the routing of the current one is delivered). */
export function nextStep(ctx: Context, state: RolloutState): RolloutState {
  return update(state, { currentStepIndex: state.currentStepIndex + 1, stepStartedAt: ctx.nowIso });
}

export function elapsedMs(ctx: Context, since: string | undefined): number {
  if (since === undefined) return 0;
  const t = Date.parse(since);
  return Number.isFinite(t) ? ctx.now.getTime() - t : 0;
}
