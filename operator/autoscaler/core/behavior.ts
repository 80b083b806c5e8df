import type { LimitedBy, Recommendation, ScaleEvent, ScalingRules } from './types.js';

/** A fall of traffic to at most this share of its peak is a fall, not noise (trafficDropWindowSeconds). */
export const TRAFFIC_DROP_SHARE = 0.5;

/**
 * Where the scale-down window starts. Normally `stabilizationWindowSeconds` back. It shrinks to
 * `trafficDropWindowSeconds` when the traffic itself fell: every recommendation of that shorter
 * window, this one included, saw at most TRAFFIC_DROP_SHARE of the turns of the busiest one in the
 * full window. The full window exists against the noise of the fleet's own signals (a burst's
 * in-flight, a slow scrape); completed turns over a whole metrics window halving and staying there
 * is the load going away, which HPA's window would answer with the peak count for five minutes.
 * A fleet that scaled up because its turns got slower keeps its turns per window, so it keeps the
 * full window too.
 */
export function scaleDownWindowStart(
  previous: Recommendation[],
  turnsNow: number | undefined,
  now: number,
  down: ScalingRules,
): number {
  const full = now - down.stabilizationWindowSeconds * 1000;
  const drop = down.trafficDropWindowSeconds ?? 0;
  if (turnsNow === undefined || drop <= 0 || drop >= down.stabilizationWindowSeconds) return full;
  const short = now - drop * 1000;
  let peak = turnsNow;
  let recent = turnsNow;
  for (const rec of previous) {
    if (rec.time <= full || rec.turns === undefined) continue;
    peak = Math.max(peak, rec.turns);
    if (rec.time > short) recent = Math.max(recent, rec.turns);
  }
  return peak > 0 && recent <= TRAFFIC_DROP_SHARE * peak ? short : full;
}

/**
 * HPA v2 stabilization: a scale-up takes the LOWEST recommendation of the up window, a scale-down the
 * HIGHEST of the down window, so a single spike or dip cannot move the count on its own.
 * `previous` are earlier raw recommendations; `raw` is the one made now, with `turnsNow` the turns
 * it saw (for scaleDownWindowStart). A window of 0 s sees only `raw`.
 */
export function stabilize(
  previous: Recommendation[],
  raw: number,
  currentReplicas: number,
  now: number,
  up: ScalingRules,
  down: ScalingRules,
  turnsNow?: number,
): number {
  const upCutoff = now - up.stabilizationWindowSeconds * 1000;
  const downCutoff = scaleDownWindowStart(previous, turnsNow, now, down);
  let upRecommendation = raw;
  let downRecommendation = raw;
  for (const rec of previous) {
    if (rec.time > upCutoff) upRecommendation = Math.min(upRecommendation, rec.replicas);
    if (rec.time > downCutoff) downRecommendation = Math.max(downRecommendation, rec.replicas);
  }
  let stabilized = currentReplicas;
  if (stabilized < upRecommendation) stabilized = upRecommendation;
  if (stabilized > downRecommendation) stabilized = downRecommendation;
  return stabilized;
}

function changeInPeriod(events: ScaleEvent[], now: number, periodSeconds: number, sign: 1 | -1): number {
  const cutoff = now - periodSeconds * 1000;
  return events
    .filter((e) => e.time > cutoff && Math.sign(e.delta) === sign)
    .reduce((sum, e) => sum + Math.abs(e.delta), 0);
}

function periodStart(current: number, events: ScaleEvent[], now: number, periodSeconds: number): number {
  return (
    current - changeInPeriod(events, now, periodSeconds, 1) + changeInPeriod(events, now, periodSeconds, -1)
  );
}

/**
 * What each direction does with a policy: how far it may move from the period's start, which of the
 * proposals `selectPolicy: Min` and `Max` pick (Min = the smallest change, so the highest count when
 * scaling down), and that the limit never moves against the direction (changes already made this
 * period may exceed it: then hold, never scale the other way because of it).
 */
const DIRECTIONS = {
  up: {
    step: (start: number, p: ScalingRules['policies'][number]): number =>
      p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100)),
    smallestChange: Math.min,
    largestChange: Math.max,
    hold: Math.max,
  },
  down: {
    step: (start: number, p: ScalingRules['policies'][number]): number =>
      p.type === 'Pods' ? start - p.value : Math.floor(start * (1 - p.value / 100)),
    smallestChange: Math.max,
    largestChange: Math.min,
    hold: Math.min,
  },
} as const;

function policyLimit(
  direction: keyof typeof DIRECTIONS,
  current: number,
  events: ScaleEvent[],
  now: number,
  rules: ScalingRules,
): number {
  if (rules.selectPolicy === 'Disabled' || rules.policies.length === 0) return current;
  const d = DIRECTIONS[direction];
  const proposals = rules.policies.map((p) => d.step(periodStart(current, events, now, p.periodSeconds), p));
  const limit = rules.selectPolicy === 'Min' ? d.smallestChange(...proposals) : d.largestChange(...proposals);
  return d.hold(limit, current);
}

/** Highest count the scale-up policies allow now (HPA `calculateScaleUpLimitWithScalingRules`). */
export function scaleUpLimit(
  current: number,
  events: ScaleEvent[],
  now: number,
  rules: ScalingRules,
): number {
  return policyLimit('up', current, events, now, rules);
}

/** Lowest count the scale-down policies allow now (HPA `calculateScaleDownLimitWithBehaviors`). */
export function scaleDownLimit(
  current: number,
  events: ScaleEvent[],
  now: number,
  rules: ScalingRules,
): number {
  return policyLimit('down', current, events, now, rules);
}

export interface Bounded {
  replicas: number;
  limitedBy?: LimitedBy | undefined;
}

export interface RateInput {
  desired: number;
  current: number;
  min: number;
  max: number;
  events: ScaleEvent[];
  now: number;
  up: ScalingRules;
  down: ScalingRules;
}

/** Rate policies, then min/max. Bounds win over rates: an out-of-bounds count is corrected at once. */
export function limitRate(input: RateInput): Bounded {
  const { desired, current } = input;
  let replicas = desired;
  let limitedBy: LimitedBy | undefined;
  if (desired > current) {
    const limit = scaleUpLimit(current, input.events, input.now, input.up);
    if (desired > limit) [replicas, limitedBy] = [limit, 'rate'];
  } else if (desired < current) {
    const limit = scaleDownLimit(current, input.events, input.now, input.down);
    if (desired < limit) [replicas, limitedBy] = [limit, 'rate'];
  }
  const clamped = Math.min(Math.max(replicas, input.min), input.max);
  if (clamped === input.max && desired > input.max) return { replicas: clamped, limitedBy: 'max' };
  if (clamped === input.min && desired < input.min) return { replicas: clamped, limitedBy: 'min' };
  if (clamped !== replicas) return { replicas: clamped, limitedBy: clamped === input.max ? 'max' : 'min' };
  return { replicas, limitedBy };
}

/** Drops entries no window or period can look at any more. */
export function pruneBefore<T extends { time: number }>(entries: T[], cutoff: number): T[] {
  return entries.filter((e) => e.time >= cutoff);
}
