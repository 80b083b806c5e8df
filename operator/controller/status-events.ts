import type { Condition } from '../workload/types.js';

export interface StatusEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  note: string;
}

/** Events for condition transitions worth a person's attention: became Ready, became Degraded, recovered. */
export function statusEvents(before: Condition[] | undefined, after: Condition[]): StatusEvent[] {
  const find = (list: Condition[] | undefined, type: string): Condition | undefined =>
    list?.find((c) => c.type === type);
  return [
    ...readyEvents(find(before, 'Ready'), find(after, 'Ready')),
    ...degradedEvents(find(before, 'Degraded'), find(after, 'Degraded')),
  ];
}

function readyEvents(prev: Condition | undefined, next: Condition | undefined): StatusEvent[] {
  if (next?.status !== 'True' || prev?.status === 'True') return [];
  return [{ type: 'Normal', reason: 'FleetReady', note: next.message }];
}

function degradedEvents(prev: Condition | undefined, next: Condition | undefined): StatusEvent[] {
  const wasDegraded = prev?.status === 'True';
  if (next?.status === 'True' && (!wasDegraded || prev.reason !== next.reason)) {
    return [{ type: 'Warning', reason: next.reason, note: next.message }];
  }
  if (next?.status === 'False' && wasDegraded) {
    return [{ type: 'Normal', reason: 'Recovered', note: `no longer degraded (was ${prev.reason})` }];
  }
  return [];
}
