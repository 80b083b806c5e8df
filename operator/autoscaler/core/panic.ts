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
