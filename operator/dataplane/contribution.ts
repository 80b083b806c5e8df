/**
 * What RedisComponent (./redis/component.ts) and KafkaTopicsComponent (./kafka/component.ts) share:
 * per-fleet state, the "repeat the last result until due" record, and small pure helpers to build
 * their contributions. Nothing here talks to Redis, Kafka or the API server.
 */
import type { ConditionInput } from '../workload/status.js';
import type { KubeObject } from '../workload/types.js';
import { fleetKey } from '../controller/fleet-key.js';
import type { ChatbotDeployment, Condition } from './types.js';

/** A pass due within this much is run now rather than requeued for a few ms. */
export const DUE_SLACK_MS = 100;

/** The last result of a pass outside the API server, repeated until `dueAt` or until `inputs` change. */
export interface Timed<T> {
  inputs: string;
  dueAt: number;
  result: T;
  /** Set by the pass that produced `result`; its side effects (roll deletes, Events) run once. */
  fresh?: boolean;
}

/** `last` when it may be repeated at `now` for the same `inputs`; undefined when a new pass is due. */
export function repeatable<T>(last: Timed<T> | undefined, inputs: string, now: number): Timed<T> | undefined {
  return last && last.inputs === inputs && now + DUE_SLACK_MS < last.dueAt ? last : undefined;
}

/** One state object per fleet, created on first use and dropped by `forget` once the CR is gone. */
export class FleetStates<S extends object> {
  private readonly states = new Map<string, S>();

  constructor(private readonly create: () => S) {}

  of(cbd: Pick<ChatbotDeployment, 'metadata'>): S {
    const key = fleetKey(cbd);
    let state = this.states.get(key);
    if (!state) {
      state = this.create();
      this.states.set(key, state);
    }
    return state;
  }

  forget(key: string): void {
    this.states.delete(key);
  }

  get size(): number {
    return this.states.size;
  }
}

export function conditionInput(c: Condition): ConditionInput {
  return { type: c.type, status: c.status, reason: c.reason, message: c.message };
}

/** The soonest of the defined delays (never negative), or undefined when none is. */
export function soonest(values: (number | undefined)[]): number | undefined {
  const defined = values.filter((v): v is number => v !== undefined);
  return defined.length > 0 ? Math.max(0, Math.min(...defined)) : undefined;
}

/** Objects carrying every label of `selector`. */
export function labelled<T extends KubeObject>(objects: readonly T[], selector: Record<string, string>): T[] {
  return objects.filter((o) => Object.entries(selector).every(([k, v]) => o.metadata.labels?.[k] === v));
}
