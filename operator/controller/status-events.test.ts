import { describe, expect, it } from '@jest/globals';
import { statusEvents } from './status-events.js';
import type { Condition } from '../workload/types.js';

const c = (type: string, status: 'True' | 'False', reason = 'R', message = 'm'): Condition => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: '2026-01-01T00:00:00Z',
});

describe('statusEvents', () => {
  it.each([
    ['first Ready', undefined, [c('Ready', 'True')], ['FleetReady']],
    ['still Ready', [c('Ready', 'True')], [c('Ready', 'True')], []],
    [
      'became Degraded',
      [c('Degraded', 'False')],
      [c('Degraded', 'True', 'Unschedulable')],
      ['Unschedulable'],
    ],
    ['Degraded reason changed', [c('Degraded', 'True', 'A')], [c('Degraded', 'True', 'B')], ['B']],
    ['Degraded unchanged', [c('Degraded', 'True', 'A')], [c('Degraded', 'True', 'A')], []],
    ['recovered', [c('Degraded', 'True', 'A')], [c('Degraded', 'False')], ['Recovered']],
  ])('%s', (_n, before, after, reasons) => {
    expect(statusEvents(before, after).map((e) => e.reason)).toEqual(reasons);
  });
});
