import type { FleetEvent, FleetSummary } from '../shared/model.js';
import { fleetEvent, summarize } from './fleet.js';
import { StatusHistory } from './history.js';

/**
 * What the console knows, fed by the watches: the raw ChatbotDeployments, the last Events per
 * fleet (bounded), and the status history. `onChange` is how the SSE hub hears about it.
 */
export type Change =
  | { kind: 'fleet'; fleet: FleetSummary }
  | { kind: 'deleted'; namespace: string; name: string }
  | { kind: 'event'; event: FleetEvent };

const MAX_EVENTS_PER_FLEET = 50;
const MAX_FLEETS = 2000;

const keyOf = (namespace: string, name: string): string => `${namespace}/${name}`;

export class ConsoleState {
  readonly fleets = new Map<string, unknown>();
  readonly history = new StatusHistory();
  private readonly events = new Map<string, FleetEvent[]>();
  fleetsSynced = false;
  lastError: string | null = null;

  constructor(
    private readonly onChange: (c: Change) => void,
    private readonly now: () => number = Date.now,
  ) {}

  replaceFleets(items: unknown[]): void {
    const seen = new Set<string>();
    for (const raw of items.slice(0, MAX_FLEETS)) {
      const f = summarize(raw);
      seen.add(keyOf(f.namespace, f.name));
      this.upsertFleet(raw);
    }
    for (const key of [...this.fleets.keys()]) {
      if (!seen.has(key)) this.deleteFleet(this.fleets.get(key));
    }
    this.fleetsSynced = true;
    this.lastError = null;
  }

  upsertFleet(raw: unknown): void {
    const f = summarize(raw);
    const key = keyOf(f.namespace, f.name);
    if (!this.fleets.has(key) && this.fleets.size >= MAX_FLEETS) return;
    this.fleets.set(key, raw);
    this.history.record(f, this.now());
    this.onChange({ kind: 'fleet', fleet: f });
  }

  deleteFleet(raw: unknown): void {
    const f = summarize(raw);
    this.fleets.delete(keyOf(f.namespace, f.name));
    this.events.delete(keyOf(f.namespace, f.name));
    this.history.forget(f.namespace, f.name);
    this.onChange({ kind: 'deleted', namespace: f.namespace, name: f.name });
  }

  /** Samples every fleet's status now: the status-only charts get a point even when nothing changed. */
  sample(): void {
    for (const raw of this.fleets.values()) this.history.record(summarize(raw), this.now());
  }

  getFleet(namespace: string, name: string): unknown {
    return this.fleets.get(keyOf(namespace, name));
  }

  replaceEvents(items: unknown[]): void {
    this.events.clear();
    for (const raw of items) this.addEvent(raw, false);
  }

  addEvent(raw: unknown, notify = true): void {
    const e = fleetEvent(raw);
    if (!e) return;
    const key = keyOf(e.namespace, e.fleet);
    if (!this.events.has(key) && this.events.size >= MAX_FLEETS) return;
    const list = (this.events.get(key) ?? []).filter((x) => x.uid !== e.uid);
    list.push(e);
    list.sort((a, b) => a.time.localeCompare(b.time));
    if (list.length > MAX_EVENTS_PER_FLEET) list.splice(0, list.length - MAX_EVENTS_PER_FLEET);
    this.events.set(key, list);
    if (notify) this.onChange({ kind: 'event', event: e });
  }

  eventsOf(namespace: string, name: string): FleetEvent[] {
    return [...(this.events.get(keyOf(namespace, name)) ?? [])].reverse();
  }
}
