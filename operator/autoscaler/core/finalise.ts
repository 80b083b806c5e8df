// From a raw recommendation to the count to set: HPA v2's stabilization windows and rate policies, then
// the bounds; panic scale-up skips the rates. Part of the pure core: see decide.ts.
import { limitRate, pruneBefore, stabilize, type Bounded } from './behavior.js';
import type { AutoscalerState, DecisionInput, LimitedBy } from './types.js';

interface FinaliseOptions {
  skipBehavior: boolean;
  panic: boolean;
}

interface Finalised {
  desiredReplicas: number;
  limitedBy?: LimitedBy | undefined;
  state: Pick<AutoscalerState, 'recommendations' | 'scaleEvents' | 'lastScaleTime'>;
}

function retentionCutoff(input: DecisionInput): number {
  const { scaleUp, scaleDown } = input.policy.behavior;
  const periods = [...scaleUp.policies, ...scaleDown.policies].map((p) => p.periodSeconds);
  const longest = Math.max(
    scaleUp.stabilizationWindowSeconds,
    scaleDown.stabilizationWindowSeconds,
    ...periods,
  );
  return input.now - longest * 1000;
}

/**
 * Panic scale-up is not rate limited (Knative allows up to 1000x ready per step): the count is sized from
 * short-window demand and only bounded by maxReplicas. A scale-up policy set to Disabled is still honoured.
 */
function panicScaleUp(input: DecisionInput, raw: number): Bounded | null {
  const { policy, currentReplicas } = input;
  if (raw <= currentReplicas || policy.behavior.scaleUp.selectPolicy === 'Disabled') return null;
  return clampOnly(raw, policy.minReplicas, policy.maxReplicas);
}

/** Stabilization windows, rate policies and bounds, in HPA v2 order (panic scale-up skips the rates). */
function limitRecommendation(input: DecisionInput, raw: number, opts: FinaliseOptions): Bounded {
  const { policy, state, now, currentReplicas } = input;
  if (opts.skipBehavior) return clampOnly(raw, policy.minReplicas, policy.maxReplicas);
  const inPanic = opts.panic ? panicScaleUp(input, raw) : null;
  if (inPanic !== null) return inPanic;
  const { scaleUp, scaleDown } = policy.behavior;
  const previous = pruneBefore(state.recommendations, retentionCutoff(input));
  return limitRate({
    desired: stabilize(previous, raw, currentReplicas, now, scaleUp, scaleDown, windowTurns(input)),
    current: currentReplicas,
    min: policy.minReplicas,
    max: policy.maxReplicas,
    events: state.scaleEvents,
    now,
    up: scaleUp,
    down: scaleDown,
  });
}

/** At a bound because the signals asked for more (or less): ScalingLimited, even if the window held it. */
function markBound(limited: Bounded, raw: number, policy: DecisionInput['policy']): Bounded {
  if (limited.limitedBy !== undefined) return limited;
  if (limited.replicas === policy.minReplicas && raw < policy.minReplicas)
    return { ...limited, limitedBy: 'min' };
  if (limited.replicas === policy.maxReplicas && raw > policy.maxReplicas)
    return { ...limited, limitedBy: 'max' };
  return limited;
}

/** Turns completed in the metrics window of the latest sample, if this evaluation has one. */
function windowTurns(input: DecisionInput): number | undefined {
  const last = input.history.at(-1);
  return last?.kind === 'sample' ? last.turns : undefined;
}

export function finalise(input: DecisionInput, raw: number, opts: FinaliseOptions): Finalised {
  const { policy, state, now, currentReplicas } = input;
  const cutoff = retentionCutoff(input);
  const previous = pruneBefore(state.recommendations, cutoff);
  const turns = windowTurns(input);
  const recommendations = [
    ...previous,
    { time: now, replicas: raw, ...(turns === undefined ? {} : { turns }) },
  ];
  const limited = markBound(limitRecommendation(input, raw, opts), raw, policy);
  const scaleEvents = pruneBefore(state.scaleEvents, cutoff);
  const changed = limited.replicas !== currentReplicas;
  if (changed) scaleEvents.push({ time: now, delta: limited.replicas - currentReplicas });
  return {
    desiredReplicas: limited.replicas,
    limitedBy: limited.limitedBy,
    state: { recommendations, scaleEvents, lastScaleTime: changed ? now : state.lastScaleTime },
  };
}

function clampOnly(replicas: number, min: number, max: number): Bounded {
  if (replicas > max) return { replicas: max, limitedBy: 'max' };
  if (replicas < min) return { replicas: min, limitedBy: 'min' };
  return { replicas };
}
