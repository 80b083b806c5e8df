import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { TurnInput, TurnOutcome } from '../answer/turn-types.js';
import type { Track } from '../config.js';
import { createMetrics } from '../metrics.js';
import type { SessionStore, StoredPin } from '../sessions/session-store.js';
import type { Pin } from './assignment.js';
import type { ForwardResult, Forwarder } from './forwarder.js';
import type { Routing } from './routing.js';
import { TurnRouter, type RoutedOutcome } from './router.js';

const routing = (r: Partial<Routing> = {}): Routing => ({
  generation: 1,
  stableVersion: 'v1',
  canaryVersion: 'v2',
  canaryWeight: 50,
  aborted: false,
  ...r,
});

interface Case {
  name: string;
  track: Track;
  routing: Routing | undefined;
  stored?: StoredPin;
  forward?: ForwardResult;
  forwarded?: boolean;
  draining?: boolean;
  full?: boolean;
  /** null: the fleet's forwarding token cannot be read. */
  token?: null;
  /** This pod's model version (default: v1 on stable, v2 on canary). */
  modelVersion?: string;
  want: { kind: RoutedOutcome['kind']; forwardedTo?: Track; pinReads: number; repinTo?: Pin };
}

const ok: ForwardResult = {
  ok: true,
  status: 200,
  body: { reply: 'x' },
  retryAfter: undefined,
  addedSeconds: 0.001,
};
const c2: StoredPin = { track: 'canary', modelVersion: 'v2', status: 'kept' };
const s1: StoredPin = { track: 'stable', modelVersion: 'v1', status: 'kept' };

const cases: Case[] = [
  {
    // mid-promotion the stable track runs v1 and v2 pods: the conversation moves to v2 once
    name: 'promoted stable pod: a stable conversation moves to the promoted version, served here',
    track: 'stable',
    modelVersion: 'v2',
    routing: routing(),
    stored: s1,
    want: { kind: 'ok', pinReads: 1, repinTo: { track: 'canary', modelVersion: 'v2' } },
  },
  {
    name: 'old stable pod after the move: the promoted conversation is forwarded, never served by v1',
    track: 'stable',
    routing: routing(),
    stored: c2,
    forward: ok,
    want: { kind: 'forwarded', forwardedTo: 'canary', pinReads: 1 },
  },
  {
    name: 'no routing yet: served here, no pin read',
    track: 'stable',
    routing: undefined,
    want: { kind: 'ok', pinReads: 0 },
  },
  {
    name: 'canary pod before any routing: served here',
    track: 'canary',
    routing: undefined,
    want: { kind: 'ok', pinReads: 0 },
  },
  {
    name: 'no canary on a stable pod: no pin read',
    track: 'stable',
    routing: routing({ canaryVersion: null }),
    want: { kind: 'ok', pinReads: 0 },
  },
  {
    name: 'no canary on a canary pod: handed to stable',
    track: 'canary',
    routing: routing({ canaryVersion: null }),
    forward: ok,
    want: { kind: 'forwarded', forwardedTo: 'stable', pinReads: 0 },
  },
  { name: 'pinned here', track: 'stable', routing: routing(), stored: s1, want: { kind: 'ok', pinReads: 1 } },
  {
    name: 'pinned to the other track: forwarded',
    track: 'stable',
    routing: routing(),
    stored: c2,
    forward: ok,
    want: { kind: 'forwarded', forwardedTo: 'canary', pinReads: 1 },
  },
  {
    name: 'forwarded turns are served here without a pin read',
    track: 'stable',
    routing: routing(),
    stored: c2,
    forwarded: true,
    want: { kind: 'ok', pinReads: 0 },
  },
  {
    name: 'forwarding fails: served here',
    track: 'stable',
    routing: routing(),
    stored: c2,
    forward: { ok: false, reason: 'unreachable' },
    want: { kind: 'ok', forwardedTo: 'canary', pinReads: 1 },
  },
  {
    name: 'aborted: canary pin moved to stable, served here',
    track: 'stable',
    routing: routing({ aborted: true }),
    stored: c2,
    want: { kind: 'ok', pinReads: 1, repinTo: { track: 'stable', modelVersion: 'v1' } },
  },
  {
    name: "not the caller's session (the pin script found no owner match): not_found, nothing served",
    track: 'stable',
    routing: routing(),
    stored: undefined,
    want: { kind: 'not_found', pinReads: 1 },
  },
  {
    name: 'the forwarding token is unreadable: served here, not forwarded',
    track: 'stable',
    routing: routing(),
    stored: c2,
    token: null,
    want: { kind: 'ok', pinReads: 1 },
  },
  {
    name: 'draining: not forwarded, the turn service sheds it',
    track: 'stable',
    routing: routing(),
    stored: c2,
    draining: true,
    want: { kind: 'shed', pinReads: 1 },
  },
  {
    name: 'MAX_INFLIGHT reached: not forwarded, the turn service sheds it',
    track: 'stable',
    routing: routing(),
    stored: c2,
    full: true,
    want: { kind: 'shed', pinReads: 1 },
  },
];

describe('TurnRouter', () => {
  it.each(cases)('$name', async (c) => {
    const seen = {
      pinReads: 0,
      forwardedTo: undefined as Track | undefined,
      repinTo: undefined as Pin | undefined,
    };
    const store = {
      pin: async (): Promise<StoredPin | null> => {
        seen.pinReads += 1;
        return c.stored === undefined ? null : c.stored;
      },
      repin: async (_id: string, _expected: Pin, next: Pin): Promise<Pin> => {
        seen.repinTo = next;
        return next;
      },
    } as unknown as SessionStore;
    const forwarder = {
      forward: async (track: Track): Promise<ForwardResult> => {
        seen.forwardedTo = track;
        return c.forward!;
      },
    } as unknown as Forwarder;
    const turns = {
      handle: async (input: TurnInput): Promise<TurnOutcome> =>
        c.draining || c.full
          ? { kind: 'shed', reason: c.draining ? 'draining' : 'inflight' }
          : {
              kind: 'ok',
              reply: {
                sessionId: input.sessionId ?? 'generated',
                reply: 'r',
                intent: 'greet',
                confidence: 1,
                source: 'intent',
                modelVersion: 'local',
                turn: 2,
              },
            },
    };
    const router = new TurnRouter({
      turns,
      routing: { current: c.routing },
      store,
      forwarder,
      forwardingToken: async () => (c.token === null ? undefined : 'fleet-token'),
      limiter: { tryAcquire: () => !c.full, release: () => undefined },
      isDraining: () => c.draining === true,
      track: c.track,
      modelVersion: () => c.modelVersion ?? (c.track === 'canary' ? 'v2' : 'v1'),
      fleetId: '',
      metrics: createMetrics(new Registry(), false),
      log: pino({ level: 'silent' }),
    });
    const out = await router.handle({
      message: 'hi',
      sessionId: 'sess-1',
      principal: undefined,
      userId: undefined,
      forwarded: c.forwarded === true,
      authorization: undefined,
    });
    expect(out.kind).toBe(c.want.kind);
    expect(seen.pinReads).toBe(c.want.pinReads);
    expect(seen.forwardedTo).toBe(c.want.forwardedTo);
    expect(seen.repinTo).toEqual(c.want.repinTo);
  });
});
