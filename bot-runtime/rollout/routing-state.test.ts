import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createMetrics } from '../metrics.js';
import { RoutingState } from './routing-state.js';

function setup() {
  const registry = new Registry();
  const metrics = createMetrics(registry, false);
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => lines.push(l) });
  const state = new RoutingState(metrics, log);
  const value = async (name: string, labels: Record<string, string> = {}) => {
    const m = (await registry.getSingleMetric(name)!.get()).values;
    return m
      .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
      .reduce((s, v) => s + v.value, 0);
  };
  return { state, value, lines };
}

const text = (generation: number, w = 10) =>
  JSON.stringify({ generation, stableVersion: 'v1', canaryVersion: 'v2', canaryWeight: w, aborted: false });

describe('RoutingState', () => {
  it('reports -1 before any routing, then the applied generation', async () => {
    const { state, value } = setup();
    expect(await value('chatfleet_rollout_generation')).toBe(-1);
    expect(state.current).toBeUndefined();
    state.offer({ kind: 'text', text: text(4) });
    expect(state.current?.generation).toBe(4);
    expect(await value('chatfleet_rollout_generation')).toBe(4);
  });

  it('keeps the last good routing on missing, invalid or failing sources, counting each once', async () => {
    const { state, value, lines } = setup();
    state.offer({ kind: 'text', text: text(1) });
    state.offer({ kind: 'text', text: text(1) }); // a relist repeats it: not counted again
    const secret = '{"generation": 2, "stableVersion": "TENANT-SECRET"'; // truncated JSON
    for (let i = 0; i < 3; i++) state.offer({ kind: 'text', text: secret });
    state.offer({ kind: 'missing' });
    state.offer({ kind: 'missing' });
    state.offer({ kind: 'error', err: new Error('connect ECONNREFUSED') });
    expect(state.current?.generation).toBe(1);
    expect(await value('chatfleet_rollout_generation')).toBe(1);
    expect(await value('chatfleet_routing_reloads_total', { result: 'ok' })).toBe(1);
    expect(await value('chatfleet_routing_reloads_total', { result: 'invalid' })).toBe(1);
    expect(await value('chatfleet_routing_reloads_total', { result: 'missing' })).toBe(1);
    expect(await value('chatfleet_routing_reloads_total', { result: 'error' })).toBe(1);
    expect(lines.join('')).not.toContain('TENANT-SECRET');
    state.offer({ kind: 'text', text: text(2, 50) });
    expect(state.current).toMatchObject({ generation: 2, canaryWeight: 50 });
  });

  it('re-applies the same text after a failure in between', async () => {
    const { state, value } = setup();
    state.offer({ kind: 'text', text: text(1) });
    state.offer({ kind: 'missing' });
    state.offer({ kind: 'text', text: text(1) });
    expect(await value('chatfleet_routing_reloads_total', { result: 'ok' })).toBe(2);
  });
});
