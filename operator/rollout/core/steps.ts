/** Step progression of a Progressing rollout (setWeight, pause, analysis), then promotion. */
import { overallVerdict } from '../judge/judge.js';
import { update } from './routing.js';
import { elapsedMs, emit, nextStep, promote, setPhase, withReason, type Context } from './transitions.js';
import type { RolloutState, RolloutStep } from './types.js';

/**
 * The last check passed, and it judged the current weight: its window and the total of every window at
 * this weight (`weightSample`) both passed. The weight is raised only after such a check.
 */
function judgedAtWeight(state: RolloutState): boolean {
  return state.weightSample?.weight === state.canaryWeight && overallVerdict(state.lastAnalysis) === 'Pass';
}

/** A check of the current weight, taken after `since` (the step began), has passed. */
function passedSince(state: RolloutState, since: string | undefined): boolean {
  if (state.lastAnalysisAt === undefined || since === undefined) return false;
  return Date.parse(state.lastAnalysisAt) > Date.parse(since) && judgedAtWeight(state);
}

/**
 * After this setWeight step the weight goes up with no pause or analysis step between: a higher setWeight
 * follows, or promotion does (it was the last step). Pause and analysis steps wait for a check themselves.
 */
function raisedNext(ctx: Context, state: RolloutState): boolean {
  const next = ctx.spec.rollout.steps[state.currentStepIndex + 1];
  if (next === undefined) return true;
  return next.setWeight !== undefined && next.setWeight > state.canaryWeight;
}

type StepOutcome = { done: true; state: RolloutState } | { done: false; state: RolloutState };

function setWeightStep(ctx: Context, state: RolloutState, weight: number): StepOutcome {
  if (state.canaryWeight === weight) {
    if (weight > 0 && raisedNext(ctx, state) && !judgedAtWeight(state)) return analysing(state);
    return { done: true, state };
  }
  emit(
    ctx,
    'Normal',
    'WeightChanged',
    `canary ${state.canaryVersion ?? ''} weight ${state.canaryWeight} -> ${weight}`,
  );
  const next = update(state, {
    canaryWeight: weight,
    reason: 'WaitingForRouting',
    message: `weight ${weight}: waiting for every pod to apply it`,
    analysisWindowStart: undefined,
    inconclusiveSince: undefined,
    weightSample: undefined,
  });
  return { done: false, state: next };
}

function pauseStep(ctx: Context, state: RolloutState, durationSeconds: number | undefined): StepOutcome {
  if (durationSeconds === undefined) {
    const message = `paused at weight ${state.canaryWeight} until resumed (step ${state.currentStepIndex})`;
    return { done: false, state: setPhase(state, 'Paused', 'AwaitingResume', message) };
  }
  if (elapsedMs(ctx, state.stepStartedAt) < durationSeconds * 1000) {
    const message = `weight ${state.canaryWeight}: pause of ${durationSeconds} s (step ${state.currentStepIndex})`;
    return { done: false, state: withReason(state, 'StepPaused', message) };
  }
  if (state.canaryWeight > 0 && !passedSince(state, state.stepStartedAt)) return analysing(state);
  return { done: true, state };
}

/** Inconclusive holds: an analysis step, or a pause at weight > 0, ends only after a passing check. */
function analysing(state: RolloutState): StepOutcome {
  if (state.reason === 'AnalysisInconclusive') return { done: false, state };
  const message = `weight ${state.canaryWeight}: waiting for a passing analysis check (step ${state.currentStepIndex})`;
  return { done: false, state: withReason(state, 'Analyzing', message) };
}

function runStep(ctx: Context, state: RolloutState, step: RolloutStep): StepOutcome {
  if (step.setWeight !== undefined) return setWeightStep(ctx, state, step.setWeight);
  if (step.pause !== undefined) return pauseStep(ctx, state, step.pause.durationSeconds);
  if (passedSince(state, state.stepStartedAt)) return { done: true, state };
  return analysing(state);
}

/** Runs steps from the current one while they complete; after the last one, promotion begins. */
export function advanceSteps(ctx: Context, start: RolloutState): RolloutState {
  const steps = ctx.spec.rollout.steps;
  let state = start;
  for (let guard = 0; guard <= steps.length; guard++) {
    const step = steps[state.currentStepIndex];
    if (step === undefined) return promote(state, `all ${steps.length} steps done`);
    const outcome = runStep(ctx, state, step);
    if (!outcome.done) return outcome.state;
    state = nextStep(ctx, outcome.state);
  }
  return state;
}

/** `resume` or `promote` on an indefinite pause step completes it. */
export function isIndefinitePause(ctx: Context, state: RolloutState): boolean {
  const step = ctx.spec.rollout.steps[state.currentStepIndex];
  return step?.pause !== undefined && step.pause.durationSeconds === undefined;
}
