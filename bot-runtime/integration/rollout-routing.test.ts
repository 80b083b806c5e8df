import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { WebSocket } from 'ws';
import { Redis } from 'ioredis';
import { assignNew } from '../rollout/assignment.js';
import { FleetKeys } from '../sessions/keys.js';
import { freePort } from './support/child.js';
import { requireEnv } from './support/env.js';
import { RoutingFile, routingOf, startPair, waitForGeneration, type Pair } from './support/rollout.js';
import { metricValue, postChat, startRuntime, type Runtime } from './support/runtime.js';
import { frames } from './support/websocket.js';

const versions = { stable: '2026.11.0-s', canary: '2026.12.0-c' };

type Reply = { sessionId: string; modelVersion: string; turn: number };

async function turn(rt: Runtime, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await postChat(rt.url, { message: 'hello', ...body }, headers);
  expect(res.status).toBe(200);
  return res.body as unknown as Reply;
}

async function history(rt: Runtime, id: string) {
  const res = await fetch(`${rt.url}/v1/sessions/${id}`);
  return (await res.json()) as {
    turns: { seq: number; modelVersion: string }[];
    pin?: { track: string; modelVersion: string };
  };
}

describe('rollout routing between two real runtimes (stable + canary) on one Redis', () => {
  const file = new RoutingFile();
  let pair: Pair;
  const started: Reply[] = [];

  beforeAll(async () => {
    file.write(routingOf({ generation: 1, canaryWeight: 25 }, versions));
    pair = await startPair(file, versions);
    await waitForGeneration([pair.stable, pair.canary], 1);
  });
  afterAll(async () => {
    await pair?.close();
    file.remove();
  });

  it('assigns new conversations by hash with an exact share (1200 conversations, weight 25 %)', async () => {
    const n = 1200;
    for (let i = 0; i < n; i += 40) {
      // alternate entry pods, as the fleet Service would
      const batch = Array.from({ length: Math.min(40, n - i) }, (_, j) =>
        turn((i + j) % 2 === 0 ? pair.stable : pair.canary, {}),
      );
      started.push(...(await Promise.all(batch)));
    }
    const canary = started.filter((r) => r.modelVersion === versions.canary).length;
    const share = (100 * canary) / n;
    console.log(`observed canary share over ${n} new conversations at weight 25: ${share.toFixed(2)} %`);
    expect(Math.abs(share - 25)).toBeLessThanOrEqual(2);
    // deterministic from the id: the served version is the one the hash gives
    const routing = routingOf({ generation: 1, canaryWeight: 25 }, versions);
    for (const r of started) expect(r.modelVersion).toBe(assignNew(routing, '', r.sessionId).modelVersion);
    const counted = async (track: string) =>
      (await metricValue(pair.stable.registry, 'chatfleet_conversations_started_total', { track })) +
      (await metricValue(pair.canary.registry, 'chatfleet_conversations_started_total', { track }));
    expect(await counted('canary')).toBe(canary);
    expect(await counted('stable')).toBe(n - canary);
    expect(
      await metricValue(pair.stable.registry, 'chatfleet_forward_total', { result: 'ok' }),
    ).toBeGreaterThan(0);
    expect(
      await metricValue(pair.canary.registry, 'chatfleet_forward_total', { result: 'ok' }),
    ).toBeGreaterThan(0);
  });

  it('pins every later HTTP turn to the conversation version, whichever pod it lands on', async () => {
    const sample = [
      ...started.filter((r) => r.modelVersion === versions.canary).slice(0, 5),
      ...started.filter((r) => r.modelVersion === versions.stable).slice(0, 5),
    ];
    for (const first of sample) {
      for (const [k, rt] of [pair.stable, pair.canary, pair.stable].entries()) {
        const next = await turn(rt, { sessionId: first.sessionId });
        expect(next).toMatchObject({ modelVersion: first.modelVersion, turn: k + 2 });
      }
      const h = await history(pair.stable, first.sessionId);
      expect(h.turns.map((t) => t.modelVersion)).toEqual(Array(4).fill(first.modelVersion));
      expect(h.pin?.modelVersion).toBe(first.modelVersion);
    }
  });

  it('pins WebSocket turns too: the socket stays, turns of the other track are forwarded', async () => {
    const canaryId = started.find((r) => r.modelVersion === versions.canary)!.sessionId;
    const stableId = started.find((r) => r.modelVersion === versions.stable)!.sessionId;
    for (const rt of [pair.stable, pair.canary]) {
      const ws = new WebSocket(`${rt.url.replace('http', 'ws')}/v1/chat/ws`);
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const next = frames(ws);
      ws.send(JSON.stringify({ message: 'hello', sessionId: canaryId }));
      expect(await next()).toMatchObject({ sessionId: canaryId, modelVersion: versions.canary });
      ws.send(JSON.stringify({ message: 'where is my order' })); // the connection's session
      expect(await next()).toMatchObject({
        sessionId: canaryId,
        modelVersion: versions.canary,
        intent: 'order_status',
      });
      ws.send(JSON.stringify({ message: 'hello', sessionId: stableId }));
      expect(await next()).toMatchObject({ sessionId: stableId, modelVersion: versions.stable });
      ws.send(JSON.stringify({ message: 'hello' })); // now the stable session
      expect(await next()).toMatchObject({ sessionId: stableId, modelVersion: versions.stable });
      ws.close();
    }
  });

  it('never forwards a forwarded turn: it is served where it lands', async () => {
    const canaryId = started.filter((r) => r.modelVersion === versions.canary)[10]!.sessionId;
    const before = await metricValue(pair.stable.registry, 'chatfleet_forward_total');
    const redis = new Redis(requireEnv('REDIS_URL'));
    const token = await redis.get(new FleetKeys('').forwardingToken()).finally(() => redis.disconnect());
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/); // made by the first pod that forwarded
    const reply = await turn(pair.stable, { sessionId: canaryId }, { 'x-chatfleet-forwarded': token! });
    expect(reply.modelVersion).toBe(versions.stable);
    expect(await metricValue(pair.stable.registry, 'chatfleet_forward_total')).toBe(before);
    // a client cannot claim it: a made-up header is ignored, and the turn follows its pin
    const forged = await turn(pair.stable, { sessionId: canaryId }, { 'x-chatfleet-forwarded': '1' });
    expect(forged.modelVersion).toBe(versions.canary);
    expect(await metricValue(pair.stable.registry, 'chatfleet_forward_total')).toBe(before + 1);
    // and a real forward from stable is served by the canary without going back
    const canaryBefore = await metricValue(pair.canary.registry, 'chatfleet_forward_total');
    expect((await turn(pair.stable, { sessionId: canaryId })).modelVersion).toBe(versions.canary);
    expect(await metricValue(pair.stable.registry, 'chatfleet_forward_total')).toBe(before + 2);
    expect(await metricValue(pair.canary.registry, 'chatfleet_forward_total')).toBe(canaryBefore);
  });

  it('abort: canary conversations move to stable at their next turn, keeping their history', async () => {
    const canaryIds = started
      .filter((r) => r.modelVersion === versions.canary)
      .slice(20, 30)
      .map((r) => r.sessionId);
    const t0 = Date.now();
    file.write(routingOf({ generation: 2, canaryWeight: 25, aborted: true }, versions));
    const tookMs = await waitForGeneration([pair.stable, pair.canary], 2);
    console.log(`routing file change applied by both runtimes in ${Date.now() - t0} ms (poll 1 s)`);
    expect(tookMs).toBeLessThanOrEqual(5000);
    for (const [i, id] of canaryIds.entries()) {
      const rt = i % 2 === 0 ? pair.stable : pair.canary;
      expect(await turn(rt, { sessionId: id })).toMatchObject({ modelVersion: versions.stable, turn: 2 });
      expect(await turn(rt, { sessionId: id })).toMatchObject({ modelVersion: versions.stable, turn: 3 });
      const h = await history(pair.canary, id);
      expect(h.turns.map((t) => [t.seq, t.modelVersion])).toEqual([
        [1, versions.canary],
        [2, versions.stable],
        [3, versions.stable],
      ]);
      expect(h.pin).toEqual({ track: 'stable', modelVersion: versions.stable });
    }
    // new conversations all start on stable
    const fresh = await Promise.all(
      Array.from({ length: 40 }, (_, i) => turn(i % 2 ? pair.stable : pair.canary, {})),
    );
    expect(fresh.every((r) => r.modelVersion === versions.stable)).toBe(true);
  });

  it('keeps the last good routing when the file turns invalid or disappears', async () => {
    file.write('{"generation": 3, "stableVersion": ');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await metricValue(pair.stable.registry, 'chatfleet_rollout_generation')).toBe(2);
    expect(
      await metricValue(pair.stable.registry, 'chatfleet_routing_reloads_total', { result: 'invalid' }),
    ).toBe(1);
    file.remove();
    await new Promise((r) => setTimeout(r, 1500));
    expect(await metricValue(pair.canary.registry, 'chatfleet_rollout_generation')).toBe(2);
    expect(
      await metricValue(pair.canary.registry, 'chatfleet_routing_reloads_total', { result: 'missing' }),
    ).toBe(1);
    mkdirSync(file.dir, { recursive: true });
    file.write(routingOf({ generation: 4, canaryWeight: 100 }, versions));
    await waitForGeneration([pair.stable, pair.canary], 4);
    const r = await turn(pair.stable, {});
    expect(r.modelVersion).toBe(versions.canary);
  });

  it('without a canary in the routing, a canary pod hands every turn to stable', async () => {
    file.write(routingOf({ generation: 5, canaryVersion: null }, versions));
    await waitForGeneration([pair.stable, pair.canary], 5);
    const canaryId = started.filter((r) => r.modelVersion === versions.canary)[40]!.sessionId;
    const before = await metricValue(pair.canary.registry, 'chatfleet_forward_total', { result: 'ok' });
    expect((await turn(pair.canary, { sessionId: canaryId })).modelVersion).toBe(versions.stable);
    expect((await turn(pair.canary, {})).modelVersion).toBe(versions.stable);
    expect(await metricValue(pair.canary.registry, 'chatfleet_forward_total', { result: 'ok' })).toBe(
      before + 2,
    );
    // the stable pod reads no pin then: it serves a canary-pinned session at once
    const stableBefore = await metricValue(pair.stable.registry, 'chatfleet_forward_total');
    expect((await turn(pair.stable, { sessionId: canaryId })).modelVersion).toBe(versions.stable);
    expect(await metricValue(pair.stable.registry, 'chatfleet_forward_total')).toBe(stableBefore);
  });
});

describe('forwarding failures are served locally', () => {
  const file = new RoutingFile();
  let silent: Server;
  const runtimes: Runtime[] = [];
  const canaryRouting = routingOf({ generation: 1, canaryWeight: 100 }, versions);

  beforeAll(async () => {
    file.write(canaryRouting);
    // accepts connections and never answers
    silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await Promise.all(runtimes.map((r) => r.close()));
    silent?.close();
    file.remove();
  });

  it.each([
    ['unreachable', async () => `http://127.0.0.1:${await freePort()}`],
    ['timeout', async () => `http://127.0.0.1:${(silent.address() as { port: number }).port}`],
  ])('%s canary: the stable pod answers the turn', async (result, canaryUrl) => {
    const rt = await startRuntime({
      REDIS_URL: requireEnv('REDIS_URL'),
      CHATFLEET_ROUTING_FILE: file.path,
      CHATFLEET_TRACK: 'stable',
      MODEL_VERSION: versions.stable,
      CHATFLEET_CANARY_URL: await canaryUrl(),
      CHATFLEET_FORWARD_TIMEOUT_MS: '300',
    });
    runtimes.push(rt);
    const t0 = performance.now();
    const r = await turn(rt, {});
    const id = r.sessionId;
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(r).toMatchObject({ modelVersion: versions.stable, turn: 1 });
    expect(await metricValue(rt.registry, 'chatfleet_forward_total', { result })).toBe(1);
    // the pin is kept: the conversation returns to the canary once it is reachable
    expect((await history(rt, id)).pin).toEqual({ track: 'canary', modelVersion: versions.canary });
  });
});
