import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { PART_LABEL, PrometheusSource } from '../sources/prometheus-source.js';
import { close, listen } from './support.js';

/**
 * The Prometheus source at its HTTP boundary: a small real HTTP server that speaks the Prometheus HTTP API
 * (POST /api/v1/query, form-encoded, JSON envelope) and answers from a table the test sets: the combined
 * query with each part it asks for, tagged as Prometheus's label_replace would, and any other query (a
 * custom latency query) with the latency.
 * No real Prometheus runs here (see docs/autoscaling.md); the PromQL text itself is asserted.
 */
type Answer = { status: number; body: unknown };
let answer: (query: string) => Answer = () => ({ status: 200, body: vector([]) });
const received: { query: string; time: string }[] = [];
let server: Server;
let url: string;

function vector(values: string[]): unknown {
  return {
    status: 'success',
    data: { resultType: 'vector', result: values.map((v) => ({ metric: {}, value: [1764000000, v] })) },
  };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const query = form.get('query') ?? '';
      received.push({ query, time: form.get('time') ?? '' });
      const a =
        req.url === '/api/v1/query' && req.method === 'POST'
          ? answer(query)
          : { status: 404, body: 'not found' };
      res.statusCode = a.status;
      res.setHeader('content-type', 'application/json');
      res.end(typeof a.body === 'string' ? a.body : JSON.stringify(a.body));
    });
  });
  url = await listen(server);
});

afterAll(async () => {
  await close(server);
});

const fleet = { namespace: 'shop', name: 'helpdesk', podEndpoints: [] };
const window = { now: Date.parse('2026-11-30T12:00:00Z'), seconds: 60, percentile: 95 };

type Parts = Partial<Record<'latency' | 'turns' | 'inflight' | 'pods' | 'concurrency', string[]>>;

function byQuery(values: Parts) {
  return (q: string): Answer => {
    if (!q.startsWith('label_replace(')) return { status: 200, body: vector(values.latency ?? []) };
    const result = Object.entries(values)
      .filter(([part]) => q.includes(`"${PART_LABEL}", "${part}"`))
      .flatMap(([part, vs]) => vs.map((v) => ({ metric: { [PART_LABEL]: part }, value: [1764000000, v] })));
    return { status: 200, body: { status: 'success', data: { resultType: 'vector', result } } };
  };
}

const SELECTOR = 'namespace="shop",pod=~"helpdesk-[a-z0-9]+-[a-z0-9]+"';

describe('PrometheusSource against a Prometheus-API HTTP server', () => {
  it('builds the PromQL for the fleet and reads a full sample', async () => {
    received.length = 0;
    answer = byQuery({
      latency: ['0.412'],
      turns: ['900'],
      inflight: ['31'],
      pods: ['4'],
      concurrency: ['27.5'],
    });
    const o = await new PrometheusSource({ url }).fetch(fleet, window);
    expect(o).toEqual({
      kind: 'sample',
      time: window.now,
      latencyMs: 412,
      turns: 900,
      inflight: 31,
      podsReporting: 4,
      concurrency: 27.5,
    });
    // One request per fleet and interval, all five parts tagged.
    expect(received).toHaveLength(1);
    expect(received[0]?.time).toBe(String(window.now / 1000));
    expect(received[0]?.query).toBe(
      [
        `label_replace(sum(chatfleet_turns_inflight{${SELECTOR}}), "${PART_LABEL}", "inflight", "", "")`,
        `label_replace(count(chatfleet_turns_inflight{${SELECTOR}}), "${PART_LABEL}", "pods", "", "")`,
        `label_replace(histogram_quantile(0.95, sum by (le) (rate(chatfleet_turn_duration_seconds_bucket{${SELECTOR},outcome!="shed"}[60s]))), "${PART_LABEL}", "latency", "", "")`,
        `label_replace(sum(increase(chatfleet_turn_duration_seconds_count{${SELECTOR},outcome!="shed"}[60s])), "${PART_LABEL}", "turns", "", "")`,
        `label_replace(sum(rate(chatfleet_turn_duration_seconds_sum{${SELECTOR},outcome!="shed"}[60s])), "${PART_LABEL}", "concurrency", "", "")`,
      ].join(' or '),
    );
  });

  it('uses the per-CR latency query template', async () => {
    received.length = 0;
    answer = byQuery({ latency: ['0.2'], turns: ['10'], inflight: ['1'], pods: ['1'] });
    const source = new PrometheusSource({
      url,
      latencyQuery: 'my_p{{quantile}}{ns="{{namespace}}",app="{{name}}"}[{{window}}s]',
    });
    const o = await source.fetch(fleet, window);
    // The custom query goes alone (it may answer a scalar); the combined one leaves latency out.
    expect(received.map((r) => r.query)).toContain('my_p0.95{ns="shop",app="helpdesk"}[60s]');
    expect(received).toHaveLength(2);
    expect(received.find((r) => r.query.startsWith('label_replace('))?.query).not.toContain('"latency"');
    expect(o).toMatchObject({ kind: 'sample', latencyMs: 200, turns: 10, inflight: 1, podsReporting: 1 });
  });

  it('reads a hostile answer (junk series, duplicate parts, strings) without failing, first series wins', async () => {
    answer = () => ({
      status: 200,
      body: {
        status: 'success',
        data: {
          resultType: 'vector',
          result: [
            null,
            { metric: 5, value: 'x' },
            { metric: { [PART_LABEL]: '__proto__' }, value: [1, '9'] },
            { metric: { [PART_LABEL]: 'inflight' }, value: 'not an array' },
            { metric: { [PART_LABEL]: 'pods' }, value: [1, '3'] },
            { metric: { [PART_LABEL]: 'pods' }, value: [1, '99'] },
            { metric: { [PART_LABEL]: 'turns' }, value: [1, { n: 1 }] },
          ],
        },
      },
    });
    const o = await new PrometheusSource({ url }).fetch(fleet, window);
    // in-flight has no readable value: no data, never 0
    expect(o).toMatchObject({ kind: 'noData' });
    answer = byQuery({ inflight: ['2', '50'], pods: ['3', '99'], turns: ['7'] });
    expect(await new PrometheusSource({ url }).fetch(fleet, window)).toMatchObject({
      kind: 'sample',
      inflight: 2,
      podsReporting: 3,
      turns: 7,
      latencyMs: null,
      concurrency: null,
    });
  });

  it.each([
    {
      name: 'empty in-flight vector is no data (never 0)',
      values: { inflight: [], pods: [] },
      kind: 'noData',
    },
    {
      name: 'NaN latency (no turns) is a sample without latency',
      values: { latency: ['NaN'], turns: ['0'], inflight: ['0'], pods: ['2'] },
      kind: 'sample',
    },
  ])('$name', async ({ values, kind }) => {
    answer = byQuery(values);
    const o = await new PrometheusSource({ url }).fetch(fleet, window);
    expect(o.kind).toBe(kind);
    if (o.kind === 'sample') expect(o.latencyMs).toBeNull();
  });

  it.each([
    {
      name: 'PromQL error',
      a: { status: 400, body: { status: 'error', errorType: 'bad_data', error: 'parse error' } },
      text: 'parse error',
    },
    { name: 'HTTP 503 without JSON', a: { status: 503, body: 'overloaded' }, text: 'HTTP 503' },
  ])('$name is a failure', async ({ a, text }) => {
    answer = () => a;
    const o = await new PrometheusSource({ url }).fetch(fleet, window);
    expect(o.kind).toBe('failure');
    if (o.kind === 'failure') expect(o.error).toContain(text);
  });

  it('an unreachable Prometheus is a failure', async () => {
    const down = createServer();
    const downUrl = await listen(down);
    await close(down);
    const o = await new PrometheusSource({ url: downUrl, timeoutMs: 2000 }).fetch(fleet, window);
    expect(o.kind).toBe('failure');
    if (o.kind === 'failure') expect(o.error).toContain('unreachable');
  });
});
