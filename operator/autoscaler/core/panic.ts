/**
 * Knative-style panic mode. Entered when short-window demand is at least `threshold` x the ready capacity;
 * left only after a full stable window without reaching the threshold. While in panic the count never goes
 * down (it is held at the highest panic recommendation).
 */
export interface PanicState {
  panicSince: number | null;
  lastPanicTrigger: number | null;
  panicHighWater: number;
}

export interface PanicInput {
  demandRatio: number | null;
  threshold: number;
  stableWindowSeconds: number;
  now: number;
}

export function nextPanicState(state: PanicState, input: PanicInput): PanicState {
  const triggered = input.demandRatio !== null && input.demandRatio >= input.threshold;
  const lastPanicTrigger = triggered ? input.now : state.lastPanicTrigger;
  if (state.panicSince === null) {
    return triggered
      ? { panicSince: input.now, lastPanicTrigger, panicHighWater: 0 }
      : { panicSince: null, lastPanicTrigger, panicHighWater: 0 };
  }
  const calmFor = lastPanicTrigger === null ? Infinity : input.now - lastPanicTrigger;
  if (calmFor >= input.stableWindowSeconds * 1000) {
    return { panicSince: null, lastPanicTrigger, panicHighWater: 0 };
  }
  return { panicSince: state.panicSince, lastPanicTrigger, panicHighWater: state.panicHighWater };
}

/** Short-window demand over ready capacity. With no ready pods any demand is infinite pressure. */
export function panicDemandRatio(
  panicInflight: number,
  readyReplicas: number,
  targetInflightPerPod: number,
): number {
  return panicInflight / (Math.max(readyReplicas, 1) * targetInflightPerPod);
}

/** Step applied to short-window demand when the ready pods are saturated (see panicDesired). */
export const SATURATED_PANIC_STEP = 2;
/** Share of maxInflight per pod from which the in-flight gauge counts as saturated. */
export const SATURATION_SHARE = 0.9;

/**
 * Panic recommendation: short-window demand / per-pod target (Knative's panic count). The bot runtime sheds
 * turns beyond maxInflight per pod (503), so when the ready pods run at that limit the gauge is censored:
 * true demand is higher by an unknown amount (Knative's activator would buffer and count it; we cannot
 * see shed turns in the window). Then ask for SATURATED_PANIC_STEP x the observed demand.
 */
export function panicDesired(
  panicInflight: number,
  readyReplicas: number,
  targetInflightPerPod: number,
  maxInflightPerPod: number | undefined,
): number {
  const base = panicInflight / targetInflightPerPod;
  const perPod = panicInflight / Math.max(readyReplicas, 1);
  const saturated = maxInflightPerPod !== undefined && perPod >= SATURATION_SHARE * maxInflightPerPod;
  return Math.ceil(saturated ? base * SATURATED_PANIC_STEP : base);
}
