/**
 * Simulated chat traffic of one fleet: conversations arrive Poisson, are assigned by the contract's bucket
 * hash against the routing the pods have applied, stay pinned to their version, and produce turns whose
 * outcome, source and latency are sampled from the version's model. Counters are cumulative per version,
 * like the runtime's Prometheus counters.
 */
import { TURN_BUCKETS } from '../../../bot-runtime/metrics/buckets.js';
import { exponential, gaussian, poisson, type Rng } from '../../autoscaler/simulation/random.js';
import { bucket, startsOnCanary } from '../core/bucket.js';
import type { Routing, VersionSample } from '../core/types.js';

/** How one version behaves. Rates are per non-cache turn; latency is lognormal. */
export interface VersionModel {
  errorRate: number;
  fallbackRate: number;
  cacheRate: number;
  medianMs: number;
  sigma: number;
}

export interface TrafficModel {
  conversationsPerSecond: number;
  /** Mean turns of a conversation (1 + geometric). */
  meanTurns: number;
  /** Mean think time between two turns of a conversation, seconds. */
  meanGapSeconds: number;
}

export const BOUNDS = [...TURN_BUCKETS, Infinity];

interface Conversation {
  track: 'stable' | 'canary';
  version: string;
  turnsLeft: number;
}

interface Counters {
  turns: number;
  errors: number;
  fallbacks: number;
  perBucket: number[];
  conversations: number;
}

const emptyCounters = (): Counters => ({
  turns: 0,
  errors: 0,
  fallbacks: 0,
  perBucket: BOUNDS.map(() => 0),
  conversations: 0,
});

export class Traffic {
  private readonly counters = new Map<string, Counters>();
  /** Turns due per integer second. */
  private readonly due = new Map<number, Conversation[]>();
  private nextSession = 0;
  newConversations = 0;
  newOnCanary = 0;

  constructor(
    private readonly rng: Rng,
    private readonly fleetId: string,
    private readonly traffic: TrafficModel,
    private readonly modelOf: (version: string) => VersionModel,
  ) {}

  /** One simulated second: new conversations at `routing` (as the pods applied it), then the turns due. */
  step(second: number, routing: Routing): void {
    const arrivals = poisson(this.rng, this.traffic.conversationsPerSecond);
    for (let i = 0; i < arrivals; i++) this.start(second, routing);
    const turns = this.due.get(second) ?? [];
    this.due.delete(second);
    for (const conversation of turns) this.turn(second, conversation, routing);
  }

  private start(second: number, routing: Routing): void {
    const session = `s-${this.nextSession++}`;
    const canary =
      routing.canaryVersion !== null &&
      !routing.aborted &&
      startsOnCanary(bucket(this.fleetId, session), routing.canaryWeight);
    const version = canary && routing.canaryVersion !== null ? routing.canaryVersion : routing.stableVersion;
    const continueProbability = 1 - 1 / Math.max(1, this.traffic.meanTurns);
    let turnsLeft = 1;
    while (this.rng() < continueProbability && turnsLeft < 200) turnsLeft++;
    this.newConversations++;
    if (canary) this.newOnCanary++;
    this.countersOf(version).conversations++;
    this.turn(second, { track: canary ? 'canary' : 'stable', version, turnsLeft }, routing);
  }

  /** Serves one turn; an aborted canary, or a version neither track serves, re-pins to stable. */
  private turn(second: number, conversation: Conversation, routing: Routing): void {
    const served =
      conversation.version === routing.stableVersion || conversation.version === routing.canaryVersion;
    if ((conversation.track === 'canary' && routing.aborted) || !served) {
      conversation.track = 'stable';
      conversation.version = routing.stableVersion;
    }
    this.observe(conversation.version);
    conversation.turnsLeft--;
    if (conversation.turnsLeft <= 0) return;
    const at = second + Math.max(1, Math.round(exponential(this.rng, this.traffic.meanGapSeconds)));
    const list = this.due.get(at);
    if (list === undefined) this.due.set(at, [conversation]);
    else list.push(conversation);
  }

  private observe(version: string): void {
    const model = this.modelOf(version);
    const c = this.countersOf(version);
    c.turns++;
    if (this.rng() < model.cacheRate) return; // a cache hit: a turn, never in the latency histogram
    if (this.rng() < model.errorRate) c.errors++;
    else if (this.rng() < model.fallbackRate) c.fallbacks++;
    const ms = model.medianMs * Math.exp(model.sigma * gaussian(this.rng));
    const index = bucketIndex(ms);
    c.perBucket[index] = (c.perBucket[index] ?? 0) + 1;
  }

  private countersOf(version: string): Counters {
    let c = this.counters.get(version);
    if (c === undefined) this.counters.set(version, (c = emptyCounters()));
    return c;
  }

  /** Cumulative counters of a version, as a scrape would read them. */
  snapshot(version: string): VersionSample {
    const c = this.counters.get(version) ?? emptyCounters();
    let cumulative = 0;
    const counts = c.perBucket.map((n) => (cumulative += n));
    return {
      turns: c.turns,
      errors: c.errors,
      fallbacks: c.fallbacks,
      latency: { bounds: BOUNDS, counts },
      conversations: c.conversations,
    };
  }
}

function bucketIndex(ms: number): number {
  const seconds = ms / 1000;
  const i = BOUNDS.findIndex((b) => seconds <= b);
  return i === -1 ? BOUNDS.length - 1 : i;
}

/** `current - baseline` of two cumulative snapshots. */
export function difference(current: VersionSample, baseline: VersionSample): VersionSample {
  return {
    turns: current.turns - baseline.turns,
    errors: current.errors - baseline.errors,
    fallbacks: current.fallbacks - baseline.fallbacks,
    latency: {
      bounds: current.latency.bounds,
      counts: current.latency.counts.map((n, i) => n - (baseline.latency.counts[i] ?? 0)),
    },
    conversations: (current.conversations ?? 0) - (baseline.conversations ?? 0),
  };
}
