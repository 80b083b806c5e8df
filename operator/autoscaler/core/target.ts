/**
 * Learns how much in-flight per pod the fleet can take while meeting the latency SLO.
 *
 * targetInflightPerPod is a guess (by default 0.7 x maxInflight, often far past the knee of a CPU-bound
 * bot); the latency percentile is the truth but lags and is non-linear. So latency does not size the fleet
 * directly: it corrects the in-flight target, and the in-flight signal (leading, roughly linear in load)
 * sizes the fleet. The correction is a multiplicative scale in [MIN_TARGET_SCALE, 1] kept in the state:
 * - tighten when latency is above target WHILE pods run at (or below) the effective target: the target is
 *   too optimistic for this workload. By Little's law (in-flight = throughput x latency) the same throughput
 *   at the target latency would need inflightPerPod / ratio in flight per pod, so the target moves to the
 *   smaller of that estimate and effective / sqrt(ratio), at most halving per evaluation. A default target
 *   5x past the knee is learnt in two or three evaluations instead of one step per scale-down window (the
 *   old -20 % step let the fleet scale down into the same overload every 300 s).
 * - relax slowly (+5 % per evaluation, never above the configured target) when latency is clearly below
 *   target while pods run near the effective target: the target may be too cautious. This is the decay
 *   that undoes a correction learnt from a transient slowdown.
 * - otherwise hold. In particular an overloaded fleet (in-flight above target, e.g. a flash spike) does not
 *   change the target: the overload explains the latency, and the in-flight signal already asks for pods.
 * Not settled (panic, or capacity added during the latency window so the percentile still reflects the
 * smaller fleet): hold. After an operator restart the scale starts again at 1 and is re-learnt.
 */
export const MIN_TARGET_SCALE = 0.1;
/** At most halve the effective target per evaluation. */
const MAX_TIGHTEN_STEP = 0.5;
const RELAX_STEP = 1.05;
const RELAX_BELOW_RATIO = 0.8;

export interface TargetInput {
  scale: number;
  latencyMs: number | null;
  targetMs: number;
  inflightPerPod: number | null;
  configuredTarget: number;
  tolerance: number;
  /** Only adapt on a settled fleet: not in panic, and no pods added during the latency window. */
  settled: boolean;
}

export function adaptTargetScale(i: TargetInput): number {
  if (!i.settled || i.latencyMs === null || i.inflightPerPod === null) return i.scale;
  const ratio = i.latencyMs / i.targetMs;
  const effective = i.configuredTarget * i.scale;
  const atOrBelowTarget = i.inflightPerPod <= effective * (1 + i.tolerance);
  const nearTarget = i.inflightPerPod >= effective * (1 - i.tolerance);
  if (ratio > 1 + i.tolerance && atOrBelowTarget) {
    const littleEstimate = i.inflightPerPod / ratio;
    const next = Math.max(
      effective * MAX_TIGHTEN_STEP,
      Math.min(effective / Math.sqrt(ratio), littleEstimate),
    );
    return Math.max(MIN_TARGET_SCALE, next / i.configuredTarget);
  }
  if (ratio < RELAX_BELOW_RATIO && nearTarget) return Math.min(1, i.scale * RELAX_STEP);
  return i.scale;
}
