/**
 * The two automatic outcomes of the rollout suite (rollout.test.ts), under steady traffic through the
 * fleet's Service: a good version promoted through every step, and a bad one rolled back.
 */
import { expect } from '@jest/globals';
import { continueAll, pinViolations } from './rollout-checks.js';
import { sleep, type Fleet, type Observed } from './rollout-fleet.js';
import { GenerationProbe, Traffic, firstVersion } from './rollout-traffic.js';
import { eventually } from './support.js';

export type Figures = Record<string, unknown>;

/** Steady traffic (three workers) while `during` runs; the probe times routing changes. */
async function underTraffic<T>(
  fleet: Fleet,
  turnsPerConversation: number,
  during: () => Promise<T>,
): Promise<{ result: T; traffic: Traffic; probe: GenerationProbe }> {
  const probe = new GenerationProbe(fleet).start();
  const traffic = new Traffic(await fleet.url(), { workers: 3, turnsPerConversation, pauseMs: 40 }).start();
  try {
    await sleep(1000);
    return { result: await during(), traffic, probe };
  } finally {
    await traffic.stop();
    await probe.stop();
  }
}

const describe = (seen: Observed[]): string[] =>
  seen.map((s) => `${s.phase}/${s.reason} step ${s.step} w${s.weight} failed ${s.failedChecks}`);

/** v1 -> v2 with steps 20 %, analysis, 50 %, pause 5 s: promoted, histories kept, every pod on v2. */
export async function goodVersion(
  good: Fleet,
  model: Record<string, string>,
  figures: Figures,
): Promise<void> {
  const url = await good.url();
  const started = Date.now();
  const {
    result: seen,
    traffic,
    probe,
  } = await underTraffic(good, 4, async () => {
    await good.patchSpec({ model });
    const s = await good.follow('Promoted', (r) => r.phase === 'Promoted' || r.phase === 'Aborted', 150_000);
    await good.allPodsServe('v2');
    return s;
  });
  const promotingAt = seen.find((s) => s.phase === 'Promoting')?.at ?? Infinity;
  const canaryStarted = traffic.conversations.filter(
    (c) => firstVersion(c) === 'v2' && c.startedAt < promotingAt,
  );
  const promotedAt = seen.at(-1)!.at;
  // Conversations that started on the canary are pinned to v2: no turn of theirs may be served by v1.
  const canaryOnV1 = canaryStarted.filter((c) => c.turns.some((t) => t.modelVersion !== 'v2'));
  // Once Promoted, v1 serves nobody.
  const v1AfterPromoted = traffic.conversations.filter((c) =>
    c.turns.some((t) => t.at > promotedAt && t.modelVersion !== 'v2'),
  );
  // Any conversation that went back to v1 after a v2 turn (times in s vs Promoted), with its pin now.
  const violations = pinViolations(traffic.conversations, 'v2', promotedAt);
  const pins = await Promise.all(
    violations.slice(0, 6).map(async (v) => {
      const pin = (await good.session(v.split(':')[0]!)).pin;
      return `${v} (pin ${pin?.track}/${pin?.modelVersion})`;
    }),
  );
  figures.good = {
    promotedAfterSeconds: Math.round((seen.at(-1)!.at - started) / 1000),
    conversations: traffic.conversations.length,
    startedOnCanary: canaryStarted.length,
    failedTurns: traffic.failures,
    canaryConversationsServedByV1: canaryOnV1.length,
    servedByV1AfterPromoted: v1AfterPromoted.length,
    backToV1: pins,
    steps: describe(seen),
  };
  figures.routingDelays = probe.delays;
  figures.goodForwards = probe.forwardResults();
  expect(seen.at(-1)).toMatchObject({ phase: 'Promoted', reason: 'Promoted' });
  const progressing = seen.filter((s) => s.phase === 'Progressing');
  // Step 2 (setWeight 50) may last less than a poll: the WeightChanged Events show both weights.
  expect([...new Set(progressing.map((s) => s.weight))]).toEqual([0, 20, 50]);
  expect(progressing.map((s) => s.step)).toEqual([...progressing.map((s) => s.step)].sort());
  expect(progressing.at(-1)?.step).toBe(3);
  const weights = (await good.events('WeightChanged')).map((e) =>
    /weight (\d+) -> (\d+)/.exec(e.message)?.slice(1).join('->'),
  );
  expect(weights.sort()).toEqual(['0->20', '20->50']);
  expect(promotingAt).toBeLessThan(Infinity);
  expect((await good.events('Promoted')).length).toBeGreaterThan(0);
  expect(canaryStarted.length).toBeGreaterThan(0);
  const { problems, next } = await continueAll(url, traffic.conversations, 'v2');
  expect(problems).toEqual([]);
  for (const c of [...canaryStarted.slice(0, 5), ...traffic.conversations.slice(0, 5)]) {
    expect((await good.session(c.sessionId)).turns.length).toBe(next.get(c.sessionId)!.turn);
  }
  expect(probe.delays.length).toBeGreaterThanOrEqual(2);
  expect(Math.max(...probe.delays.map((d) => d.ms))).toBeLessThanOrEqual(5000);
  expect(canaryOnV1.map((c) => c.sessionId)).toEqual([]);
  expect(v1AfterPromoted.map((c) => c.sessionId)).toEqual([]);
  // A conversation moves at most once, to the promoted version (v1 -> v2); never from v2 back to v1.
  expect(pins).toEqual([]);
}

/**
 * v1 -> a bundle with threshold 0.99 (every turn falls back), steps 10 %, analysis, 50 %, failureThreshold
 * 2: aborted within 2 intervals once minTurns canary turns were served; exposure at most 10 + 3 points;
 * every conversation that started on it continues on v1 with its history.
 */
export async function badVersion(
  bad: Fleet,
  model: Record<string, string>,
  o: { intervalS: number; minTurns: number },
  figures: Figures,
): Promise<void> {
  const url = await bad.url();
  // two-turn conversations: many new ones while the canary is exposed, for the exposure figure
  const {
    result: seen,
    traffic,
    probe,
  } = await underTraffic(bad, 2, async () => {
    await bad.patchSpec({ model });
    const s = await bad.follow(
      'Aborted',
      (r) => r.phase === 'Aborted' || r.phase === 'Promoting',
      180_000,
      100,
    );
    await sleep(2000); // conversations pinned to the canary take a turn or two on stable
    return s;
  });
  const abortAt = seen.at(-1)!.at;
  const canaryTurns = traffic.turnsOf(model.version!).filter((t) => t.at <= abortAt);
  const firstAt = canaryTurns[0]?.at ?? NaN;
  const minTurnsAt = canaryTurns[o.minTurns - 1]?.at ?? NaN;
  // new conversations from the moment the weight was set (first seen in status) to the abort
  const weightAt = seen.find((s) => s.weight > 0)?.at ?? NaN;
  const during = traffic.conversations.filter((c) => c.startedAt >= weightAt && c.startedAt <= abortAt);
  const exposed = during.filter((c) => firstVersion(c) === model.version);
  const exposure = (100 * exposed.length) / during.length;
  figures.bad = {
    firstCanaryTurnToAbortSeconds: (abortAt - firstAt) / 1000,
    minTurnsToAbortSeconds: (abortAt - minTurnsAt) / 1000,
    exposedConversations: exposed.length,
    newConversationsDuringCanary: during.length,
    exposurePercent: Number(exposure.toFixed(1)),
    canaryTurnsBeforeAbort: canaryTurns.length,
    steps: describe(seen),
  };
  figures.abortDelays = probe.delays;
  expect(seen.at(-1)).toMatchObject({ phase: 'Aborted', reason: 'AnalysisFailed', weight: 0 });
  expect(canaryTurns.length).toBeGreaterThanOrEqual(o.minTurns);
  expect(canaryTurns.every((t) => t.source === 'fallback')).toBe(true);
  // The abort is the second failed check (failureThreshold 2: no window without minTurns wasted) ...
  expect(seen.filter((s) => s.failedChecks > 0).map((s) => s.failedChecks)).toEqual([1, 2]);
  // ... 2 intervals after minTurns, plus up to 2 s for the scrape at the window's end, the reconcile, the
  // status write and the 100 ms poll (measured 0.1-1.2 s over 10 s on the loaded 2-core machine).
  expect(abortAt - minTurnsAt).toBeLessThanOrEqual(2 * o.intervalS * 1000 + 2000);
  expect(exposure).toBeLessThanOrEqual(10 + 3);
  await expectRolledBack(bad);
  expect(pinViolations(traffic.conversations, 'v1')).toEqual([]);
  const { problems, next } = await continueAll(url, exposed, 'v1');
  expect(problems).toEqual([]);
  for (const c of exposed.slice(0, 8)) {
    const view = await bad.session(c.sessionId);
    expect(view.turns.length).toBe(next.get(c.sessionId)!.turn);
    expect(view.modelVersions).toEqual([model.version, 'v1']);
    expect(view.pin).toEqual({ track: 'stable', modelVersion: 'v1' });
  }
}

/** Status, condition, Event, routing and canary size of a fleet rolled back by the analysis. */
async function expectRolledBack(bad: Fleet): Promise<void> {
  const rollout = (await bad.rollout())!;
  expect(rollout.failedChecks).toBe(2);
  expect(rollout.lastAnalysis.find((a) => a.metric === 'fallbackRate')).toMatchObject({ verdict: 'Fail' });
  expect(bad.condition(await bad.cr(), 'RolloutHealthy')).toMatchObject({
    status: 'False',
    reason: 'AnalysisFailed',
  });
  expect((await bad.events('RolledBack'))[0]).toMatchObject({
    type: 'Warning',
    message: expect.stringMatching(/fallbackRate: canary 100\.00 %/) as unknown,
  });
  expect(await bad.routing()).toMatchObject({ aborted: true, canaryWeight: 0 });
  await eventually(async () => {
    const canary = await bad.canaryDeployment();
    return canary === undefined || canary.spec?.replicas === 0 ? true : undefined;
  }, 'the bad canary Deployment scaled to 0');
}
