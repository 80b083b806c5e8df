/**
 * Analysis checks inside `decide`: one check per window of spec.rollout.analysis.intervalSeconds, from the
 * sample the component collected for `state.analysisWindowStart`. Each check judges that window and the
 * total of every window at the current weight (./weight-sample.ts); a metric passes only if both pass.
 * No sample in time is a "no data" check, which is Inconclusive (it holds; it never passes and never fails).
 */
import { judge, overallVerdict, Z_EARLY } from '../judge/judge.js';
import { Z_ONE_SIDED_99 } from '../judge/stats.js';
import { abortRollout, bounded, elapsedMs, emit, setPhase, type Context } from './transitions.js';
import type { AnalysisResult, AnalysisSample, RolloutState, VersionSample } from './types.js';
import { addWindow, combine, load } from './weight-sample.js';

/** After the due time, how long to wait for a sample before recording "no data" (one more interval). */
export function graceMs(ctx: Context): number {
  return intervalMs(ctx);
}

export function intervalMs(ctx: Context): number {
  return ctx.spec.rollout.analysis.intervalSeconds * 1000;
}

/** A run of Inconclusive checks this long pauses the rollout: max(10 intervals, 5 minutes). */
export function inconclusivePauseMs(ctx: Context): number {
  return Math.max(10 * intervalMs(ctx), 300_000);
}

const count = (n: number): number => (Number.isFinite(n) && n > 0 ? n : 0);

/** Scraped numbers are untrusted: anything non-finite or negative counts as 0. */
function clean(v: VersionSample): VersionSample {
  const counts = v.latency.counts.map(count);
  const bounds = v.latency.bounds.filter((b) => !Number.isNaN(b));
  return {
    turns: count(v.turns),
    errors: Math.min(count(v.errors), count(v.turns)),
    fallbacks: Math.min(count(v.fallbacks), count(v.turns)),
    latency: bounds.length === counts.length ? { bounds, counts } : { bounds: [], counts: [] },
    ...(v.conversations !== undefined ? { conversations: count(v.conversations) } : {}),
  };
}

/**
 * The sample, if it belongs to the open window: `complete` when it covers the window to its due time. An
 * incomplete one is judged too, but recorded only when it fails (fail fast, pass only on the whole window).
 */
function usableSample(
  ctx: Context,
  state: RolloutState,
): { sample: AnalysisSample; complete: boolean } | undefined {
  const sample = ctx.observed.analysis;
  const window = state.analysisWindowStart;
  if (sample === undefined || window === undefined || sample.window !== window) return undefined;
  const start = Date.parse(window);
  const from = Date.parse(sample.from);
  const to = Date.parse(sample.to);
  if (!(from >= start) || !(to >= from)) return undefined;
  return { sample, complete: to >= start + intervalMs(ctx) };
}

function share(sample: AnalysisSample): number | undefined {
  const c = sample.canary.conversations;
  const s = sample.stable.conversations;
  if (c === undefined || s === undefined || c + s <= 0) return undefined;
  return Number(((100 * c) / (c + s)).toFixed(1));
}

function noData(state: RolloutState): AnalysisResult[] {
  const reason = 'no analysis data for the window (metrics not read)';
  return (['errorRate', 'fallbackRate', 'latency'] as const).map((metric) => ({
    metric,
    canaryTurns: 0,
    stableTurns: 0,
    verdict: 'Inconclusive' as const,
    reason: state.canaryWeight > 0 ? reason : 'the canary gets no new conversations (weight 0)',
  }));
}

/** Judges a window's sample and the total at the weight with it; the state carries the new total. */
function check(
  ctx: Context,
  state: RolloutState,
  usable: { sample: AnalysisSample; complete: boolean },
): { state: RolloutState; results: AnalysisResult[] } {
  const sample = usable.sample;
  const z = usable.complete ? Z_ONE_SIDED_99 : Z_EARLY;
  const policy = { ...ctx.spec.rollout.analysis, ...ctx.spec.slo.latency, z };
  const canary = clean(sample.canary);
  const stable = clean(sample.stable);
  const weightSample = addWindow(state.weightSample, state.canaryWeight, sample.window, canary, stable);
  const total = { canary: load(weightSample.canary), stable: load(weightSample.stable) };
  const results = combine(
    judge(canary, stable, policy),
    judge(total.canary, total.stable, policy),
    weightSample.windows,
  );
  return { state: { ...state, observedCanaryShare: share(sample), weightSample }, results };
}

/**
 * Runs the check of the open window when it is due, or earlier when its data already fails; returns the
 * state unchanged otherwise.
 */
export function runAnalysis(ctx: Context, state: RolloutState): RolloutState {
  const window = state.analysisWindowStart;
  if (window === undefined) return state;
  const usable = usableSample(ctx, state);
  if (usable !== undefined) {
    const checked = check(ctx, state, usable);
    if (usable.complete || overallVerdict(checked.results) === 'Fail')
      return recordCheck(ctx, checked.state, checked.results, usable.sample.to);
  }
  if (elapsedMs(ctx, window) >= intervalMs(ctx) + graceMs(ctx))
    return recordCheck(ctx, state, noData(state), ctx.nowIso);
  return state;
}

function failures(results: AnalysisResult[]): string {
  return results
    .filter((r) => r.verdict === 'Fail')
    .map((r) => `${r.metric}: ${r.reason}`)
    .join('; ');
}

function recordCheck(
  ctx: Context,
  before: RolloutState,
  results: AnalysisResult[],
  at: string,
): RolloutState {
  let state: RolloutState = { ...before, lastAnalysis: results, lastAnalysisAt: at, analysisWindowStart: at };
  if (state.observedCanaryShare === undefined) delete state.observedCanaryShare;
  const verdict = overallVerdict(results);
  if (verdict === 'Fail') {
    const failedChecks = state.failedChecks + 1;
    const threshold = ctx.spec.rollout.analysis.failureThreshold;
    state = { ...state, failedChecks };
    delete state.inconclusiveSince;
    const what = failures(results);
    if (failedChecks >= threshold)
      return abortRollout(ctx, state, 'AnalysisFailed', `${failedChecks} failed checks: ${what}`);
    return { ...state, message: bounded(`check failed (${failedChecks} of ${threshold}): ${what}`) };
  }
  if (verdict === 'Pass') {
    delete state.inconclusiveSince;
    return state;
  }
  return inconclusive(ctx, state, results, at);
}

function inconclusive(
  ctx: Context,
  state: RolloutState,
  results: AnalysisResult[],
  at: string,
): RolloutState {
  const reasons = [...new Set(results.filter((r) => r.verdict === 'Inconclusive').map((r) => r.reason))].join(
    '; ',
  );
  let next = state;
  if (next.inconclusiveSince === undefined) {
    next = { ...next, inconclusiveSince: at };
    emit(ctx, 'Normal', 'AnalysisInconclusive', `holding weight ${next.canaryWeight}: ${reasons}`);
  }
  const held = elapsedMs(ctx, next.inconclusiveSince);
  if (next.phase === 'Progressing' && held >= inconclusivePauseMs(ctx)) {
    const message = `paused: analysis inconclusive for ${Math.round(held / 1000)} s (${reasons}); resume, promote or abort`;
    emit(ctx, 'Warning', 'RolloutPaused', message);
    return setPhase(next, 'Paused', 'AnalysisInconclusive', message);
  }
  if (next.phase === 'Progressing')
    return {
      ...next,
      reason: 'AnalysisInconclusive',
      message: bounded(`holding weight ${next.canaryWeight}: ${reasons}`),
    };
  return next;
}
