import { describe, expect, it } from '@jest/globals';
import { scaleDownWindowStart } from './behavior.js';
import type { Recommendation, ScalingRules } from './types.js';

const NOW = Date.parse('2026-12-02T12:00:00Z');
const ago = (sec: number): number => NOW - sec * 1000;
const down = (trafficDropWindowSeconds?: number, stabilizationWindowSeconds = 300): ScalingRules => ({
  stabilizationWindowSeconds,
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
  selectPolicy: 'Max',
  trafficDropWindowSeconds,
});
/** One recommendation per 15 s from `fromSec` ago up to 15 s ago, each with `turns(secondsAgo)`. */
function recs(fromSec: number, turns: (secAgo: number) => number | undefined): Recommendation[] {
  const out: Recommendation[] = [];
  for (let a = fromSec; a >= 15; a -= 15) {
    const t = turns(a);
    out.push({ time: ago(a), replicas: 10, ...(t === undefined ? {} : { turns: t }) });
  }
  return out;
}

describe('scaleDownWindowStart: the window shrinks when the traffic itself fell', () => {
  const full = ago(300);
  const short = ago(60);
  it.each([
    {
      name: 'turns halved more than 60 s ago and stayed there: the 60 s window',
      previous: recs(285, (a) => (a > 90 ? 1000 : 400)),
      turnsNow: 400,
      rules: down(60),
      want: short,
    },
    {
      name: 'exactly half of the peak counts as a fall',
      previous: recs(285, (a) => (a > 90 ? 1000 : 500)),
      turnsNow: 500,
      rules: down(60),
      want: short,
    },
    {
      name: 'the fall is only 30 s old (the evaluation 45 s ago was busy): the full window',
      previous: recs(285, (a) => (a > 30 ? 1000 : 100)),
      turnsNow: 100,
      rules: down(60),
      want: full,
    },
    {
      name: 'one busy evaluation inside the 60 s: the full window',
      previous: recs(285, (a) => (a > 90 || a === 30 ? 1000 : 100)),
      turnsNow: 100,
      rules: down(60),
      want: full,
    },
    {
      name: 'turns steady (in-flight noise or slower turns move the count): the full window',
      previous: recs(285, () => 1000),
      turnsNow: 990,
      rules: down(60),
      want: full,
    },
    {
      name: 'traffic stopped: 0 turns is a fall from any peak',
      previous: recs(285, (a) => (a > 90 ? 50 : 0)),
      turnsNow: 0,
      rules: down(60),
      want: short,
    },
    {
      name: 'no traffic ever: nothing fell',
      previous: recs(285, () => 0),
      turnsNow: 0,
      rules: down(60),
      want: full,
    },
    {
      name: 'a peak older than the full window does not count',
      previous: [{ time: ago(400), replicas: 10, turns: 5000 }, ...recs(285, () => 300)],
      turnsNow: 300,
      rules: down(60),
      want: full,
    },
    {
      name: 'recommendations without turns (a restart, no samples) are not a peak',
      previous: [{ time: ago(200), replicas: 10 }, ...recs(60, () => 100)],
      turnsNow: 100,
      rules: down(60),
      want: full,
    },
    {
      name: 'no sample this evaluation: the full window',
      previous: recs(285, (a) => (a > 90 ? 1000 : 100)),
      turnsNow: undefined,
      rules: down(60),
      want: full,
    },
    {
      name: 'trafficDropWindowSeconds 0: off',
      previous: recs(285, (a) => (a > 90 ? 1000 : 100)),
      turnsNow: 100,
      rules: down(0),
      want: full,
    },
    {
      name: 'absent (scaleUp rules, HPA): off',
      previous: recs(285, (a) => (a > 90 ? 1000 : 100)),
      turnsNow: 100,
      rules: down(undefined),
      want: full,
    },
    {
      name: 'not shorter than the stabilization window: the stabilization window',
      previous: recs(45, (a) => (a > 30 ? 1000 : 100)),
      turnsNow: 100,
      rules: down(60, 60),
      want: ago(60),
    },
  ])('$name', ({ previous, turnsNow, rules, want }) => {
    expect(scaleDownWindowStart(previous, turnsNow, NOW, rules)).toBe(want);
  });
});
