import { canaryActive, type Routing, type Track } from './routing.js';

/** What a session is pinned to (stored with the session). */
export interface Pin {
  track: Track;
  modelVersion: string;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
export const BUCKETS = 10_000;

/** FNV-1a, 32 bit, over the bytes given. */
export function fnv1a32(bytes: Uint8Array): number {
  let h = FNV_OFFSET;
  for (const b of bytes) h = Math.imul(h ^ b, FNV_PRIME) >>> 0;
  return h >>> 0;
}

/**
 * The assignment bucket of a session: FNV-1a 32 of the UTF-8 bytes of `<fleetId>:<sessionId>`,
 * mod 10000. The same function is in operator/rollout/core/bucket.ts (the rollout simulation);
 * both are checked against one table of vectors.
 */
export function bucketOf(fleetId: string, sessionId: string): number {
  return fnv1a32(Buffer.from(`${fleetId}:${sessionId}`, 'utf8')) % BUCKETS;
}

/** A new conversation: canary iff a canary is active and bucket < weight (percent) x 100. */
export function assignNew(routing: Routing, fleetId: string, sessionId: string): Pin {
  if (canaryActive(routing) && bucketOf(fleetId, sessionId) < routing.canaryWeight * 100) {
    return { track: 'canary', modelVersion: routing.canaryVersion };
  }
  return { track: 'stable', modelVersion: routing.stableVersion };
}

/**
 * Where a pinned session is served. It stays on its track while that track serves its version;
 * a canary conversation whose version became stable (promotion) follows it; otherwise (aborted,
 * or a version no track serves any more) it is re-pinned to stable. History is never touched.
 */
export function resolvePin(routing: Routing, pin: Pin): { pin: Pin; changed: boolean } {
  const active = canaryActive(routing);
  if (pin.track === 'canary' && active && pin.modelVersion === routing.canaryVersion) {
    return { pin, changed: false };
  }
  if (pin.modelVersion === routing.stableVersion) {
    const next: Pin = { track: 'stable', modelVersion: pin.modelVersion };
    return { pin: next, changed: pin.track !== 'stable' };
  }
  if (active && pin.modelVersion === routing.canaryVersion) {
    return { pin: { track: 'canary', modelVersion: pin.modelVersion }, changed: pin.track !== 'canary' };
  }
  return { pin: { track: 'stable', modelVersion: routing.stableVersion }, changed: true };
}

/**
 * Whether a pod must read the pin before a turn. Without an active or aborted canary every
 * session is served by stable, so a stable pod serves it at once (no Redis round trip) and a
 * canary pod hands it to stable; stale pins are rewritten when the next rollout reads them.
 */
export function needsPin(routing: Routing): boolean {
  return routing.canaryVersion !== null;
}

/** Enough tries for a weight of 0.01 % (one bucket): about 1 in 10,000 draws lands there. */
const MAX_DRAWS = 50_000;

/**
 * Session ids for conversations this pod creates, drawn so that the share of new conversations
 * is exact rather than binomial: the track of the next conversation follows the weight by error
 * diffusion (canary whenever the accumulated weight passes a whole conversation), and ids are
 * drawn until one hashes onto that track. The assignment itself stays a pure function of the id
 * (assignNew), so every pod agrees on it; this only chooses which id to hand out. Over n new
 * conversations a pod's canary count is within one of n x weight. Ids the client chose are
 * assigned by their hash alone.
 */
export class SessionIdAllocator {
  private credit = 0.5;

  constructor(
    private readonly fleetId: string,
    private readonly draw: () => string,
  ) {}

  next(routing: Routing): string {
    const weight = canaryActive(routing) ? routing.canaryWeight / 100 : 0;
    if (weight <= 0 || weight >= 1) return this.draw();
    this.credit += weight;
    const canary = this.credit >= 1;
    if (canary) this.credit -= 1;
    const limit = routing.canaryWeight * 100;
    for (let i = 0; i < MAX_DRAWS; i++) {
      const id = this.draw();
      if (bucketOf(this.fleetId, id) < limit === canary) return id;
    }
    return this.draw();
  }
}
