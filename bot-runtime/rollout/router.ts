import type { Logger } from 'pino';
import type { TurnService } from '../answer/turn-service.js';
import type { TurnInput, TurnOutcome } from '../answer/turn-types.js';
import type { Track } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { InflightLimiter } from '../overload/inflight.js';
import { newSessionId, ownerOf } from '../sessions/keys.js';
import type { SessionRef, SessionStore, StoredPin } from '../sessions/session-store.js';
import { SessionIdAllocator, assignNew, needsPin, resolvePin, type Pin } from './assignment.js';
import type { Forwarder } from './forwarder.js';
import type { Routing } from './routing.js';
import { errorMessage } from '../errors.js';

export interface RoutedTurnInput extends TurnInput {
  /** The turn came from the other track (x-chatfleet-forwarded): serve it here, whatever the pin. */
  forwarded: boolean;
  /** The caller's Authorization header, passed on when the turn is forwarded. */
  authorization: string | undefined;
}

/** A turn the other track answered: its status and body, passed on to the client unchanged. */
export type ForwardedOutcome = { kind: 'forwarded'; status: number; body: unknown; retryAfter?: string };
export type RoutedOutcome = TurnOutcome | ForwardedOutcome;

export interface RouterDeps {
  turns: Pick<TurnService, 'handle'>;
  /** Undefined: no routing source configured; every turn is served here. */
  routing: { readonly current: Routing | undefined } | undefined;
  store: SessionStore | undefined;
  forwarder: Forwarder;
  /** The fleet's forwarding token (forwarding-token.ts); undefined: serve here, forward nothing. */
  forwardingToken: () => Promise<string | undefined>;
  /** Forwarded turns hold a slot of MAX_INFLIGHT too, and are refused while draining. */
  limiter: Pick<InflightLimiter, 'tryAcquire' | 'release'>;
  isDraining: () => boolean;
  track: Track;
  /** The model version this pod serves (MODEL_VERSION or the bundle's). */
  modelVersion: () => string;
  fleetId: string;
  metrics: Metrics;
  log: Logger;
}

/**
 * Rollout routing of one turn, shared by HTTP and WebSocket. A new conversation is assigned a
 * track by its hash and the weight and pinned in its session; a turn pinned to the other track
 * is forwarded there; a forwarded turn, or one that cannot be forwarded, is served here. Without
 * a canary in the routing (or without a routing source) a stable pod serves every turn with no
 * extra Redis round trip, and a canary pod hands every turn to stable.
 */
export class TurnRouter {
  private lastWarnAt = -Infinity;
  private readonly ids: SessionIdAllocator;

  constructor(private readonly d: RouterDeps) {
    this.ids = new SessionIdAllocator(d.fleetId, newSessionId);
  }

  async handle(input: RoutedTurnInput): Promise<RoutedOutcome> {
    const routing = this.d.routing?.current;
    const { store } = this.d;
    // a forwarded turn is served where it lands; without Redis there are no pins to follow
    if (input.forwarded || !store || input.redisOk === false) return this.local(input, !input.forwarded);
    // before any routing, or without a routing source: stable-only, served here
    if (!routing) return this.local(input, true);
    if (!needsPin(routing)) return this.noCanary(input, routing);
    const session: SessionRef = {
      id: input.sessionId ?? this.ids.next(routing),
      owner: ownerOf(input.principal),
      isNew: input.sessionId === undefined,
    };
    const sessionId = session.id;
    const pin = await this.pinOf(store, routing, session);
    if (pin === null) {
      this.d.metrics.sessionsNotFound.inc();
      return { kind: 'not_found' };
    }
    if (!pin) return this.local({ ...input, sessionId, redisOk: false }, false);
    if (pin.status === 'new') {
      this.d.metrics.conversationsStarted.inc({ model_version: pin.modelVersion, track: pin.track });
    }
    const track = await this.movedByPromotion(store, routing, sessionId, pin);
    if (track === this.d.track) return this.local({ ...input, sessionId }, false);
    return this.forward(track, { ...input, sessionId }, false);
  }

  /**
   * While a promotion rolls the stable Deployment, the stable track runs the old and the promoted
   * version side by side, and kube-proxy picks either pod. A stable conversation that reaches a
   * pod of the promoted version therefore moves to that version once: it is re-pinned to it (the
   * canary track serves it until the promotion ends, then stable does) and served here, so no
   * old pod answers it again. Returns the track that serves the turn.
   */
  private async movedByPromotion(
    store: SessionStore,
    routing: Routing,
    sessionId: string,
    pin: StoredPin,
  ): Promise<Track> {
    const mine = this.d.modelVersion();
    const promotedHere =
      this.d.track === 'stable' &&
      !routing.aborted &&
      routing.canaryVersion === mine &&
      pin.modelVersion !== mine;
    if (pin.track !== 'stable' || !promotedHere) return pin.track;
    try {
      await store.repin(sessionId, pin, { track: 'canary', modelVersion: mine });
    } catch (err) {
      this.d.metrics.sessionErrors.inc({ operation: 'pin' });
      this.d.log.debug({ err: errorMessage(err) }, 'rollout re-pin unavailable');
    }
    return 'stable';
  }

  /** No canary: everything belongs to stable; a stable pod serves it with no pin read. */
  private async noCanary(input: RoutedTurnInput, routing: Routing): Promise<RoutedOutcome> {
    if (this.d.track === 'stable') return this.local(input, true);
    // a new conversation is made (and its id) by the pod that serves it
    const out = await this.forward('stable', input, true);
    if (out.kind === 'forwarded' && input.sessionId === undefined) {
      this.d.metrics.conversationsStarted.inc({ model_version: routing.stableVersion, track: 'stable' });
    }
    return out;
  }

  /**
   * The session's pin after assignment or re-pinning (a new session is created with it); null when
   * the session is not the caller's; undefined when Redis failed (serve here).
   */
  private async pinOf(
    store: SessionStore,
    routing: Routing,
    session: SessionRef,
  ): Promise<StoredPin | null | undefined> {
    const legacy: Pin = { track: 'stable', modelVersion: routing.stableVersion };
    try {
      const stored = await store.pin(session, assignNew(routing, this.d.fleetId, session.id), legacy);
      if (stored === null) return null;
      const { pin, changed } = resolvePin(routing, stored);
      if (!changed) return stored;
      const now = await store.repin(session.id, stored, pin);
      return { ...now, status: stored.status };
    } catch (err) {
      this.d.metrics.sessionErrors.inc({ operation: 'pin' });
      this.d.log.debug({ err: errorMessage(err) }, 'rollout pin unavailable');
      return undefined;
    }
  }

  /** Served here. `countNew`: count the conversation if this turn started it (no pin did). */
  private async local(input: TurnInput, countNew: boolean): Promise<TurnOutcome> {
    const outcome = await this.d.turns.handle(input);
    if (countNew && outcome.kind === 'ok' && (input.sessionId === undefined || outcome.reply.turn === 1)) {
      this.d.metrics.conversationsStarted.inc({
        model_version: outcome.reply.modelVersion,
        track: this.d.track,
      });
    }
    return outcome;
  }

  private async forward(track: Track, input: RoutedTurnInput, countNew: boolean): Promise<RoutedOutcome> {
    const { message, sessionId, userId } = input;
    // refused like a local turn (the turn service sheds it and counts it) when draining or full
    if (this.d.isDraining() || !this.d.limiter.tryAcquire()) return this.d.turns.handle(input);
    let result;
    try {
      const token = await this.d.forwardingToken();
      result = token
        ? await this.d.forwarder.forward(track, {
            body: {
              message,
              ...(sessionId !== undefined && { sessionId }),
              ...(userId !== undefined && { userId }),
            },
            authorization: input.authorization,
            token,
          })
        : ({ ok: false, reason: 'no_token' } as const);
    } finally {
      this.d.limiter.release();
    }
    this.d.metrics.forwards.inc({ result: result.ok ? 'ok' : result.reason });
    if (!result.ok) {
      // counted every time, logged at most every 10 s (a down track would log every turn)
      if (performance.now() - this.lastWarnAt > 10_000) {
        this.lastWarnAt = performance.now();
        this.d.log.warn(
          { track, sessionId, reason: result.reason },
          'forwarding failed; serving the turn here',
        );
      }
      return this.local(input, countNew);
    }
    this.d.metrics.forwardDuration.observe(result.addedSeconds);
    return { kind: 'forwarded', status: result.status, body: result.body, retryAfter: result.retryAfter };
  }
}
