/**
 * The rollout suite's (rollout.test.ts) held-weight scenario: at weight 30 on a pause step without a
 * duration, the share over 1,000 new conversations and what a forwarded turn adds are measured; then a
 * WebSocket conversation pinned to the canary keeps talking through promote-full (the annotation).
 */
import { expect } from '@jest/globals';
import type { Figures } from './rollout-delivery.js';
import { forwardCost, histogramQuantile, newConversations } from './rollout-checks.js';
import { sleep, type Fleet } from './rollout-fleet.js';
import { GenerationProbe, WsConversation } from './rollout-traffic.js';
import { httpText } from './support.js';

/** spec.sessions.maxTurns's CRD default, which the ws fleet keeps. */
const DEFAULT_MAX_TURNS = 20;

/** A WebSocket conversation whose first turn started on the canary (v2). */
async function wsOnCanary(wsUrl: string): Promise<WsConversation> {
  for (let i = 0; i < 40; i++) {
    const conv = new WsConversation(`${wsUrl}/v1/chat/ws`);
    const first = await conv.send('hello there bot');
    if (first?.modelVersion === 'v2') return conv;
    conv.close();
  }
  throw new Error('no WebSocket conversation started on the canary in 40 tries');
}

/** 1,000 new conversations at weight 30: the canary's share must be within 2 points. */
async function shareAt30(url: string, figures: Figures): Promise<string[]> {
  const burst = await newConversations(url, 1000, 6);
  const onCanary = burst.byVersion.get('v2') ?? [];
  const total = [...burst.byVersion.values()].reduce((n, ids) => n + ids.length, 0);
  const share = (100 * onCanary.length) / total;
  figures.share = {
    weight: 30,
    newConversations: total,
    onCanary: onCanary.length,
    sharePercent: Number(share.toFixed(2)),
    failures: burst.failures,
  };
  expect(total).toBeGreaterThanOrEqual(1000);
  expect(Math.abs(share - 30)).toBeLessThanOrEqual(2);
  return onCanary;
}

/** Host-measured cost of the hop, and the runtime's own chatfleet_forward_duration_seconds. */
async function forwarding(fleet: Fleet, canarySessions: string[], figures: Figures): Promise<void> {
  const cost = await forwardCost(fleet, canarySessions, 300, 'v2');
  const metrics = await Promise.all(
    (await fleet.pods()).map(async (p) => (await httpText(`http://${p.ip}:8080/metrics`)).body),
  );
  const [p50, p99] = [50, 99].map((q) => histogramQuantile(metrics, 'chatfleet_forward_duration_seconds', q));
  const ms = (v: number): number => Number(v.toFixed(2));
  figures.forwarding = {
    pairs: cost.pairs,
    directP50Ms: ms(cost.directP50),
    directP99Ms: ms(cost.directP99),
    forwardedP50Ms: ms(cost.forwardedP50),
    forwardedP99Ms: ms(cost.forwardedP99),
    addedP50Ms: ms(cost.forwardedP50 - cost.directP50),
    addedP99Ms: ms(cost.forwardedP99 - cost.directP99),
    runtimeHistogram: { p50Ms: ms(p50!.value * 1000), p99Ms: ms(p99!.value * 1000), forwarded: p50!.count },
  };
  expect(cost.wrongVersion).toBe(0);
  expect(p50!.count).toBeGreaterThanOrEqual(cost.pairs);
}

export async function websocketThroughPromotion(
  ws: Fleet,
  model: Record<string, string>,
  figures: Figures,
): Promise<void> {
  const url = await ws.url();
  const probe = new GenerationProbe(ws).start();
  await ws.patchSpec({ model });
  try {
    await ws.waitRollout(
      'Paused at weight 30 (a pause step without duration)',
      (r) => r.phase === 'Paused' && r.reason === 'AwaitingResume' && r.canaryWeight === 30,
      150_000,
    );
  } finally {
    await probe.stop();
  }
  figures.wsRoutingDelays = probe.delays;
  const conv = await wsOnCanary(url.replace('http://', 'ws://'));
  expect((await conv.send('hello there bot'))?.modelVersion).toBe('v2');
  await forwarding(ws, await shareAt30(url, figures), figures);

  let talking = true;
  const talk = (async (): Promise<void> => {
    while (talking) {
      await conv.send('where is my order please');
      await sleep(700);
    }
  })();
  let promotedAt = NaN;
  try {
    const value = await ws.action('promote-full');
    await ws.waitRollout(
      'promote-full through the annotation: Promoted',
      (r) => r.lastHandledAction === value && r.phase === 'Promoted',
      180_000,
    );
    promotedAt = Date.now();
    await ws.allPodsServe('v2');
  } finally {
    talking = false;
    await talk;
  }
  for (let i = 0; i < 2; i++) await conv.send('thank you so much');
  conv.close();
  const turns = conv.replies.map((r) => r.turn);
  const versions = conv.replies.map((r) => r.modelVersion);
  const when = conv.replies.map((r) => `${r.modelVersion}@${((r.at - promotedAt) / 1000).toFixed(1)}`);
  figures.websocket = {
    turns: turns.length,
    reconnects: conv.reconnects,
    versionsVsPromoted: when.join(','),
  };
  expect(turns).toEqual(turns.map((_, i) => i + 1)); // no turn lost or repeated
  expect(versions).toEqual(turns.map(() => 'v2'));
  const view = await ws.session(conv.sessionId!);
  // The session keeps its last SESSION_MAX_TURNS turns (spec.sessions.maxTurns, default 20); the
  // talk through promote-full gives 15-25 turns depending on how long the promotion takes.
  expect(view.turns.length).toBe(Math.min(turns.length, DEFAULT_MAX_TURNS));
  expect(view.modelVersions).toEqual(['v2']);
}
