/**
 * The rollout judge: pure functions of (canary sample, stable sample, policy) returning one verdict per
 * metric. The statistics are in ./stats.ts and the formulas in docs/rollouts.md ("How the rollout decides").
 */
import type { AnalysisResult, Verdict, VersionSample } from '../core/types.js';
import { alignedBuckets, percentileMs, slowerThan, totalCount } from './latency.js';
import { mannWhitney, newcombeDifference, wilson, Z_ONE_SIDED_99 } from './stats.js';

/** spec.rollout.analysis and spec.slo.latency, the parts the judge reads. */
export interface JudgePolicy {
  minTurns: number;
  maxErrorRate: number;
  maxFallbackRate: number;
  percentile: number;
  targetMs: number;
  /**
   * One-sided normal quantile every test uses (default Z_ONE_SIDED_99). The core passes Z_EARLY for a
   * window judged before its end, which may only fail it.
   */
  z?: number;
}

/** z(0.9999): the stricter bound of a look at a window before its end (a group-sequential early look). */
export const Z_EARLY = 3.719016485455709;

/** A rate fails against stable only when canary - stable is above this with 99 % confidence (1 point). */
export const RATE_TOLERANCE = 0.01;
/** Latency fails against stable only when the canary percentile exceeds stable x 1.2 + 10 ms ... */
export const LATENCY_TOLERANCE = { ratio: 1.2, ms: 10 };
/** ... and Mann-Whitney says the canary is slower with 99 % confidence (one-sided z). */
export const LATENCY_Z = Z_ONE_SIDED_99;

/**
 * Every metric is judged over the version's non-cache turns (the latency histogram's count): a cache hit
 * cannot err or fall back, and the canary starts with a cold cache, so counting hits would make an equal
 * canary look worse on rates. Errors and fallbacks are capped at that count.
 */
export function judge(canary: VersionSample, stable: VersionSample, policy: JudgePolicy): AnalysisResult[] {
  const c = modelTurns(canary);
  const s = modelTurns(stable);
  const rate = (
    metric: 'errorRate' | 'fallbackRate',
    field: 'errors' | 'fallbacks',
    limit: number,
  ): AnalysisResult =>
    rateCheck(metric, Math.min(canary[field], c), c, Math.min(stable[field], s), s, limit, policy);
  return [
    rate('errorRate', 'errors', policy.maxErrorRate),
    rate('fallbackRate', 'fallbacks', policy.maxFallbackRate),
    latencyCheck(canary, stable, policy),
  ];
}

function modelTurns(sample: VersionSample): number {
  return totalCount(sample.latency);
}

/** Fail if any metric fails; otherwise Inconclusive if any is; otherwise Pass. Empty is Inconclusive. */
export function overallVerdict(results: AnalysisResult[]): Verdict {
  if (results.length === 0) return 'Inconclusive';
  if (results.some((r) => r.verdict === 'Fail')) return 'Fail';
  if (results.some((r) => r.verdict === 'Inconclusive')) return 'Inconclusive';
  return 'Pass';
}

function minimum(policy: JudgePolicy): number {
  return Math.max(1, policy.minTurns);
}

const pct = (rate: number): string => `${(rate * 100).toFixed(2)} %`;
const level = (z: number): string => (z >= Z_EARLY ? '99.99 %' : '99 %');
const round = (value: number, digits: number): number => Number(value.toFixed(digits));

function rateCheck(
  metric: 'errorRate' | 'fallbackRate',
  canaryCount: number,
  canaryTurns: number,
  stableCount: number,
  stableTurns: number,
  max: number,
  policy: JudgePolicy,
): AnalysisResult {
  const base = {
    metric,
    canaryTurns,
    stableTurns,
    ...(canaryTurns > 0 ? { canary: round(canaryCount / canaryTurns, 6) } : {}),
    ...(stableTurns > 0 ? { stable: round(stableCount / stableTurns, 6) } : {}),
  };
  if (canaryTurns < minimum(policy))
    return {
      ...base,
      verdict: 'Inconclusive',
      reason: `${canaryTurns} canary non-cache turns, fewer than minTurns ${policy.minTurns}`,
    };
  const z = policy.z ?? Z_ONE_SIDED_99;
  const bound = wilson(canaryCount, canaryTurns, z).lower;
  if (bound > max)
    return {
      ...base,
      verdict: 'Fail',
      reason: `canary ${pct(canaryCount / canaryTurns)} above max ${pct(max)} (${level(z)} lower bound ${pct(bound)})`,
    };
  if (stableTurns > 0) {
    const difference = newcombeDifference(canaryCount, canaryTurns, stableCount, stableTurns, z).lower;
    if (difference > RATE_TOLERANCE)
      return {
        ...base,
        verdict: 'Fail',
        reason: `canary ${pct(canaryCount / canaryTurns)} vs stable ${pct(stableCount / stableTurns)}: at least ${pct(difference)} higher (${level(z)})`,
      };
  }
  return {
    ...base,
    verdict: 'Pass',
    reason: `canary ${pct(canaryCount / canaryTurns)} within max ${pct(max)} and stable`,
  };
}

/** Lower bound of the share of turns slower than the SLO target; above 1 - p the sample misses it. */
function missesSlo(
  sample: VersionSample,
  policy: JudgePolicy,
  z: number,
): { misses: boolean; bound: number } {
  const turns = totalCount(sample.latency);
  if (turns === 0) return { misses: false, bound: 0 };
  const bound = wilson(slowerThan(sample.latency, policy.targetMs), turns, z).lower;
  return { misses: bound > 1 - policy.percentile / 100, bound };
}

/** Canary slower than stable beyond the tolerance, and significantly (Mann-Whitney z above `z`). */
function slowerThanStable(
  canary: VersionSample,
  stable: VersionSample,
  z: number,
  ms: { canary: number; stable: number | null },
): number | null {
  if (ms.stable === null || ms.canary <= ms.stable * LATENCY_TOLERANCE.ratio + LATENCY_TOLERANCE.ms)
    return null;
  const aligned = alignedBuckets(canary.latency, stable.latency);
  const test = mannWhitney(aligned.a, aligned.b);
  return test !== null && test.z > z ? test.z : null;
}

function latencyCheck(canary: VersionSample, stable: VersionSample, policy: JudgePolicy): AnalysisResult {
  const canaryTurns = totalCount(canary.latency);
  const canaryMs = percentileMs(canary.latency, policy.percentile);
  const stableMs = percentileMs(stable.latency, policy.percentile);
  const base = {
    metric: 'latency' as const,
    canaryTurns,
    stableTurns: totalCount(stable.latency),
    ...rounded(canaryMs, stableMs),
  };
  const p = `p${policy.percentile}`;
  if (canaryTurns < minimum(policy) || canaryMs === null)
    return {
      ...base,
      verdict: 'Inconclusive',
      reason: `${canaryTurns} canary non-cache turns, fewer than minTurns ${policy.minTurns}`,
    };
  const z = policy.z ?? LATENCY_Z;
  const slow = missesSlo(canary, policy, z);
  // When stable misses the SLO as well, the fleet is short of capacity (the autoscaler's job), not
  // the new version: the canary is then judged against stable only, so an overload that hits
  // both tracks never rolls a good version back.
  const stableMisses = missesSlo(stable, policy, z).misses;
  if (slow.misses && !stableMisses)
    return {
      ...base,
      verdict: 'Fail',
      reason: `canary ${p} ${canaryMs.toFixed(0)} ms above SLO ${policy.targetMs} ms (${level(z)}: at least ${pct(slow.bound)} of turns slower)`,
    };
  const mw = slowerThanStable(canary, stable, z, { canary: canaryMs, stable: stableMs });
  if (mw !== null)
    return {
      ...base,
      verdict: 'Fail',
      reason: `canary ${p} ${canaryMs.toFixed(0)} ms vs stable ${stableMs?.toFixed(0) ?? '?'} ms, slower (Mann-Whitney z ${mw.toFixed(2)})`,
    };
  return {
    ...base,
    verdict: 'Pass',
    reason: latencyPassReason(p, canaryMs, stableMs, policy.targetMs, stableMisses),
  };
}

function rounded(canaryMs: number | null, stableMs: number | null): { canary?: number; stable?: number } {
  return {
    ...(canaryMs !== null ? { canary: round(canaryMs, 1) } : {}),
    ...(stableMs !== null ? { stable: round(stableMs, 1) } : {}),
  };
}

function latencyPassReason(
  p: string,
  canaryMs: number,
  stableMs: number | null,
  targetMs: number,
  stableMisses: boolean,
): string {
  return stableMisses
    ? `canary ${p} ${canaryMs.toFixed(0)} ms not worse than stable ${stableMs?.toFixed(0) ?? '?'} ms (both miss SLO ${targetMs} ms: judged against stable only)`
    : `canary ${p} ${canaryMs.toFixed(0)} ms within SLO ${targetMs} ms and stable`;
}
