/**
 * One fleet of the rollout suite (rollout.test.ts) under a trickle of traffic, far below minTurns 50 per
 * interval: the rollout holds Inconclusive; the operator is SIGKILLed and a new one resumes from status;
 * then every manual control, through the annotation and through the kubectl plugin.
 */
import { expect } from '@jest/globals';
import type { Figures } from './rollout-delivery.js';
import { continueAll, conversationOn } from './rollout-checks.js';
import { sleep, type Fleet, type RolloutStatus } from './rollout-fleet.js';
import { Traffic } from './rollout-traffic.js';

/** About one turn a second, three-turn conversations: a canary at 10 % sees a turn every few windows. */
export function trickle(url: string): Traffic {
  return new Traffic(url, { workers: 1, turnsPerConversation: 3, pauseMs: 900 }).start();
}

/** The rollout reaches weight 10, then stays there, Inconclusive, for four intervals: never promoted. */
export async function lowTraffic(
  ctl: Fleet,
  model: Record<string, string>,
  intervalS: number,
  traffic: Traffic,
  figures: Figures,
): Promise<void> {
  await ctl.patchSpec({ model });
  const held = await ctl.waitRollout(
    'Inconclusive at weight 10',
    (r) => r.reason === 'AnalysisInconclusive' && r.canaryWeight === 10,
    150_000,
  );
  const end = Date.now() + 4 * intervalS * 1000;
  const seen = await ctl.follow('the observation window', () => Date.now() > end, 60_000, 500);
  const last = (await ctl.rollout())!;
  figures.lowTraffic = {
    observedSeconds: 4 * intervalS,
    trickleTurns: traffic.conversations.flatMap((c) => c.turns).length,
    lastAnalysis: last.lastAnalysis,
  };
  expect(seen.every((s) => s.phase === 'Progressing' && s.step === 1 && s.weight === 10)).toBe(true);
  expect(Date.parse(last.lastAnalysisAt!)).toBeGreaterThan(Date.parse(held.lastAnalysisAt!));
  expect(last).toMatchObject({ phase: 'Progressing', reason: 'AnalysisInconclusive', failedChecks: 0 });
  expect(last.lastAnalysis.map((a) => a.verdict)).toEqual(['Inconclusive', 'Inconclusive', 'Inconclusive']);
  expect(last.lastAnalysis[0]!.reason).toMatch(/fewer than minTurns 50/);
  expect((await ctl.events('AnalysisInconclusive')).length).toBeGreaterThan(0);
}

const resumed = (r: RolloutStatus): unknown[] => [
  r.phase,
  r.startedAt,
  r.stepStartedAt,
  r.currentStepIndex,
  r.canaryWeight,
  r.routingGeneration,
  r.canaryVersion,
  r.stableVersion,
];

/**
 * SIGKILL (no shutdown, the Lease is left held) and a new operator process: once it leads and has run an
 * analysis check, the rollout is the same one (start, step, weight, routing generation, canary Deployment)
 * and no pin has changed; the pinned conversations carry on with their versions.
 */
export async function operatorKilled(
  ctl: Fleet,
  restart: (signal: NodeJS.Signals) => Promise<unknown>,
  figures: Figures,
): Promise<void> {
  const url = await ctl.url();
  const pinned = [
    await conversationOn(url, 'v2'),
    await conversationOn(url, 'v2'),
    await conversationOn(url, 'v1'),
  ];
  const pinsBefore = await Promise.all(pinned.map(async (c) => (await ctl.session(c.sessionId)).pin));
  expect(pinsBefore.map((p) => p?.track)).toEqual(['canary', 'canary', 'stable']);
  const before = (await ctl.rollout())!;
  const canaryUid = await ctl.deploymentUid('ctl-canary');
  const killedAt = Date.now();
  await restart('SIGKILL');
  const leading = Date.now() - killedAt;
  const after = await ctl.waitRollout(
    'a check by the new operator',
    (r) => Date.parse(r.lastAnalysisAt ?? '') > killedAt + 1000,
    60_000,
  );
  figures.operatorRestart = {
    newLeaderAfterSeconds: leading / 1000,
    firstCheckAfterSeconds: (Date.parse(after.lastAnalysisAt!) - killedAt) / 1000,
    resumedAtStep: after.currentStepIndex,
  };
  expect(resumed(after)).toEqual(resumed(before));
  expect(await ctl.deploymentUid('ctl-canary')).toBe(canaryUid);
  expect((await ctl.routing()).generation).toBe(before.routingGeneration);
  const pinsAfter = await Promise.all(pinned.map(async (c) => (await ctl.session(c.sessionId)).pin));
  expect(pinsAfter).toEqual(pinsBefore);
  expect((await continueAll(url, pinned.slice(0, 2), 'v2')).problems).toEqual([]);
  expect((await continueAll(url, pinned.slice(2), 'v1')).problems).toEqual([]);
}

type How = 'annotation' | 'plugin';

/**
 * Every verb through both channels where the rollout allows it twice: pause/resume (annotation, then
 * plugin, and the other way round), promote (a step skip), abort and retry (two cycles), and promote-full
 * through the plugin (the WebSocket scenario promotes through the annotation). Each is handled once:
 * the same annotation value again changes nothing.
 */
export async function manualControls(ctl: Fleet, figures: Figures): Promise<void> {
  const url = await ctl.url();
  const canaryConv = await conversationOn(url, 'v2');
  const handled: string[] = [];
  figures.manual = handled;
  const act = async (
    how: How,
    verb: string,
    what: string,
    ok: (r: RolloutStatus) => boolean,
  ): Promise<RolloutStatus> => {
    const value =
      how === 'annotation'
        ? await ctl.action(verb)
        : await ctl.pluginAction(...(verb === 'promote-full' ? ['promote', '--full'] : [verb]));
    expect(value).toMatch(new RegExp(`^${verb}@`));
    const t = Date.now();
    const r = await ctl.waitRollout(
      `${verb} through the ${how}: ${what}`,
      (s) => s.lastHandledAction === value && ok(s),
      60_000,
    );
    handled.push(
      `${verb} (${how}) -> ${r.phase}/${r.reason} w${r.canaryWeight} in ${((Date.now() - t) / 1000).toFixed(1)} s`,
    );
    return r;
  };
  const isPaused = (r: RolloutStatus): boolean => r.phase === 'Paused' && r.reason === 'ManualPause';
  const isProgressing = (r: RolloutStatus): boolean => r.phase === 'Progressing';
  // promote skips the current step: wait for the analysis step, or it would skip the unconfirmed setWeight
  const atAnalysis = (r: RolloutStatus): boolean =>
    isProgressing(r) && r.canaryWeight === 10 && r.currentStepIndex === 1;
  const isAborted = (r: RolloutStatus): boolean =>
    r.phase === 'Aborted' && r.reason === 'ManualAbort' && r.canaryWeight === 0;
  const paused = await act('annotation', 'pause', 'Paused', isPaused);
  expect(paused.canaryWeight).toBe(10);
  // the same value again (plus another annotation, so the operator reconciles): nothing happens
  await ctl.annotate({
    'chatfleet.io/rollout-action': paused.lastHandledAction!,
    'test.chatfleet.io/poke': '1',
  });
  await sleep(3000);
  expect(await ctl.rollout()).toMatchObject({
    phase: 'Paused',
    reason: 'ManualPause',
    lastHandledAction: paused.lastHandledAction,
  });
  await act('plugin', 'resume', 'Progressing', isProgressing);
  await act(
    'annotation',
    'promote',
    'the analysis step skipped, weight 40',
    (r) => r.currentStepIndex >= 2 && r.canaryWeight === 40,
  );
  expect(await ctl.plugin('rollout', 'status', 'ctl')).toMatch(/weight 40%/);
  expect(await ctl.npmPlugin('get', 'ctl')).toMatch(/canary {2}Deployment ctl-canary {2}v2/);
  await act('plugin', 'pause', 'Paused', isPaused);
  await act('annotation', 'resume', 'Progressing', isProgressing);
  await act('plugin', 'abort', 'Aborted at weight 0', isAborted);
  expect(await ctl.routing()).toMatchObject({ aborted: true, canaryWeight: 0 });
  // the conversation pinned to the canary continues on stable, with its history
  expect((await continueAll(url, [canaryConv], 'v1')).problems).toEqual([]);
  await act('annotation', 'retry', 'Progressing at weight 10 again, at the analysis step', atAnalysis);
  await act('plugin', 'promote', 'weight 40', (r) => r.canaryWeight === 40);
  await act('annotation', 'abort', 'Aborted', isAborted);
  await act('plugin', 'retry', 'Progressing at weight 10 again, at the analysis step', atAnalysis);
  await act('plugin', 'promote-full', 'Promoted', (r) => r.phase === 'Promoted');
  await ctl.allPodsServe('v2');
}
