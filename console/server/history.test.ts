import { describe, expect, it } from '@jest/globals';
import type { FleetSummary } from '../shared/model.js';
import { StatusHistory } from './history.js';
import { matrixToSeries } from './prometheus.js';

const fleet = (over: Partial<FleetSummary>): FleetSummary => ({
  namespace: 'ns',
  name: 'bot',
  modelVersion: 'v1',
  ready: 'True',
  sloPercentile: 95,
  sloTargetMs: 300,
  observedLatencyMs: null,
  desiredReplicas: null,
  readyReplicas: null,
  mode: null,
  rolloutPhase: null,
  canaryWeight: null,
  resourceVersion: '1',
  ...over,
});

describe('StatusHistory', () => {
  it('records nulls as no data, one point per second, bounded', () => {
    const h = new StatusHistory(3);
    h.record(fleet({}), 1000);
    h.record(fleet({ observedLatencyMs: 100, desiredReplicas: 2 }), 1500); // same second: replaces
    h.record(fleet({ observedLatencyMs: 120 }), 2000);
    h.record(fleet({ observedLatencyMs: 130 }), 3000);
    h.record(fleet({ observedLatencyMs: 140 }), 4000);
    const s = h.series('ns', 'bot');
    expect(s.source).toBe('status');
    expect(s.latency[0]?.points).toEqual([
      [2, 120],
      [3, 130],
      [4, 140],
    ]);
    expect(s.replicas[0]?.points).toEqual([
      [2, null],
      [3, null],
      [4, null],
    ]);
    expect(s.turns).toEqual([]);
  });

  it('has no points for an unknown fleet', () => {
    expect(new StatusHistory().series('ns', 'nope').latency.every((l) => l.points.length === 0)).toBe(true);
  });
});

describe('matrixToSeries', () => {
  it.each([
    ['garbage', 'nope', []],
    ['empty', { data: { result: [] } }, []],
    [
      'by label, NaN as no data',
      {
        data: {
          result: [
            {
              metric: { source: 'llm' },
              values: [
                [10, '1.5'],
                [20, 'NaN'],
              ],
            },
            { metric: {}, values: [[10, '2']] },
          ],
        },
      },
      [
        {
          label: 'llm',
          points: [
            [10, 1.5],
            [20, null],
          ],
        },
        { label: 'turns', points: [[10, 2]] },
      ],
    ],
  ])('%s', (_what, body, want) => expect(matrixToSeries(body, 'turns', 'source')).toEqual(want));
});
