/** Reactions to spec changes and to the rollout-action annotation. */
import { isIndefinitePause } from './steps.js';
import {
  abortRollout,
  nextStep,
  promote,
  retryRollout,
  setPhase,
  startRollout,
  withReason,
  type Context,
} from './transitions.js';
import type { ManualAction, RolloutState } from './types.js';

const ROLLING = new Set(['Progressing', 'Paused', 'Promoting']);

/** A new target starts (or restarts) a rollout; the stable version back in the spec aborts one at once. */
export function handleTarget(ctx: Context, state: RolloutState): RolloutState {
  const target = ctx.observed.target;
  if (target.id === state.stable.id) {
    if (!ROLLING.has(state.phase)) return state;
    return abortRollout(ctx, state, 'SpecReverted', `spec.model/image returned to ${state.stableVersion}`);
  }
  if (state.canary !== undefined && target.id === state.canary.id) return state;
  return startRollout(ctx, state);
}

function resume(ctx: Context, state: RolloutState): RolloutState {
  const resumed = setPhase(state, 'Progressing', 'Analyzing', `resumed at weight ${state.canaryWeight}`);
  const { inconclusiveSince: _dropped, ...rest } = resumed;
  return isIndefinitePause(ctx, rest) ? nextStep(ctx, rest) : rest;
}

type Handler = (ctx: Context, state: RolloutState, action: ManualAction) => RolloutState | undefined;

const isActive = (state: RolloutState): boolean => state.phase === 'Progressing' || state.phase === 'Paused';

/** Each verb, or undefined when it does not apply in the current phase. */
const HANDLERS: Record<ManualAction['verb'], Handler> = {
  pause: (_ctx, state, action) =>
    state.phase === 'Progressing'
      ? setPhase(state, 'Paused', 'ManualPause', `paused by ${action.raw} at weight ${state.canaryWeight}`)
      : undefined,
  resume: (ctx, state) => (state.phase === 'Paused' ? resume(ctx, state) : undefined),
  promote: (ctx, state, action) =>
    isActive(state)
      ? nextStep(ctx, setPhase(state, 'Progressing', 'Analyzing', `step skipped by ${action.raw}`))
      : undefined,
  'promote-full': (_ctx, state, action) => (isActive(state) ? promote(state, action.raw) : undefined),
  abort: (ctx, state, action) =>
    ROLLING.has(state.phase)
      ? abortRollout(ctx, state, 'ManualAbort', `aborted by ${action.raw}`)
      : undefined,
  retry: (ctx, state) =>
    state.phase === 'Aborted' && state.canary?.id === ctx.observed.target.id
      ? retryRollout(ctx, state)
      : undefined,
};

/** Handles an annotation not yet handled; it is recorded either way, so re-applying it is harmless. */
export function handleAction(ctx: Context, state: RolloutState): RolloutState {
  const action = ctx.observed.action;
  if (action === undefined || action.raw === state.lastHandledAction) return state;
  const handled = HANDLERS[action.verb](ctx, state, action);
  if (handled !== undefined) return { ...handled, lastHandledAction: action.raw };
  return {
    ...state,
    lastHandledAction: action.raw,
    message: `${action.raw} ignored: the rollout is ${state.phase}`,
  };
}

/** spec.rollout.paused is the declarative pause; clearing it resumes only a pause it made. */
export function handleSpecPause(ctx: Context, state: RolloutState): RolloutState {
  const paused = ctx.spec.rollout.paused === true;
  if (paused && state.phase === 'Progressing')
    return setPhase(
      state,
      'Paused',
      'SpecPaused',
      `paused by spec.rollout.paused at weight ${state.canaryWeight}`,
    );
  if (!paused && state.phase === 'Paused' && state.reason === 'SpecPaused')
    return withReason(
      setPhase(state, 'Progressing', 'Analyzing', 'resumed'),
      'Analyzing',
      'resumed (spec.rollout.paused is false)',
    );
  return state;
}
