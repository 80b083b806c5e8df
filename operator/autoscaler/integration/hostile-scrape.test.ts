import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { Registry } from 'prom-client';
import { FleetAutoscaler } from '../fleet-autoscaler.js';
import type { EvaluateResult } from '../scaling-result.js';
import { registerAutoscalerMetrics } from '../metrics.js';
import { defaultedCbd } from '../../api/fixtures.js';
import type { ChatbotDeployment } from '../../api/index.js';
import { MIB } from '../sources/bounded-fetch.js';
import { PrometheusSource } from '../sources/prometheus-source.js';
import { ScrapeSource } from '../sources/scrape-source.js';
import { close, FakePod, listen, sleep } from './support.js';

/**
 * Hostile /metrics endpoints on real loopback HTTP servers: each one must be bounded (bytes or time),
 * reported as a failure with a clear reason, and leave the event loop responsive throughout.
 */
const POISON = 'chatfleet_turns_inflight{a="1",b 1\n';
const LINE =
  'chatfleet_turn_duration_seconds_bucket{model_version="v1",source="llm",outcome="ok",le="0.1"} 1\n';
const TIMEOUT_MS = 800;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const servers: Server[] = [];
const timers = new Set<NodeJS.Timeout>();

async function serve(handler: Handler): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  return listen(server);
}

/**
 * Writes chunks for as long as the socket takes them: an endless body. One chunk per turn of the event
 * loop: this server shares the test's process, and writing in a tight loop (as fast as loopback takes
 * it) stalled the loop by itself for 286 ms in a CI run, which is the test's own doing, not the
 * scraper's.
 */
const endless: Handler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  const chunk = LINE.repeat(1024);
  const pump = (): void => {
    if (res.destroyed) return;
    if (res.write(chunk)) setImmediate(pump);
    else res.once('drain', pump);
  };
  pump();
};

/** Headers at once, then one byte every 100 ms, forever (slowloris). */
const slow: Handler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  const t = setInterval(() => res.write('c'), 100);
  timers.add(t);
  res.on('close', () => clearInterval(t));
};

/** Accepts the request and never answers. */
const silent: Handler = (req) => {
  req.resume();
};

const poisoned: Handler = (_req, res) => void res.end(POISON);
const tenMiB = LINE.repeat(Math.ceil((10 * MIB) / LINE.length));
const large: Handler = (_req, res) => void res.end(tenMiB); // with Content-Length
const largeChunked: Handler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' }); // no Content-Length: chunked
  for (let i = 0; i < 10; i++) res.write(tenMiB.slice(i * MIB, (i + 1) * MIB));
  res.end();
};
const bomb = gzipSync(Buffer.alloc(64 * MIB, 'a'));
const gzipBomb: Handler = (_req, res) => {
  res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'text/plain' });
  res.end(bomb);
};
let redirectTarget = '';
const redirect: Handler = (_req, res) => {
  res.writeHead(302, { location: redirectTarget }).end();
};

/** Largest gap between ticks of a 10 ms timer while `fn` runs: the event loop's responsiveness. */
async function maxTimerGap<T>(fn: () => Promise<T>): Promise<{ result: T; maxGapMs: number; ticks: number }> {
  let last = performance.now();
  let maxGapMs = 0;
  let ticks = 0;
  const t = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
    ticks++;
  }, 10);
  try {
    const result = await fn();
    return { result, maxGapMs, ticks };
  } finally {
    clearInterval(t);
  }
}

const win = () => ({ now: Date.now(), seconds: 60, percentile: 95 });
let healthy: FakePod;
const urls: Record<string, string> = {};

beforeAll(async () => {
  healthy = await new FakePod().start();
  const handlers = { endless, slow, silent, poisoned, large, largeChunked, gzipBomb, redirect };
  for (const [name, handler] of Object.entries(handlers)) urls[name] = await serve(handler);
  redirectTarget = healthy.url + '/metrics';
  // Node loads and compiles fetch (undici) on its first call; under CI load that took over 500 ms of
  // the first case's 800 ms budget. The bounds under test are about hostile bodies, not that cold start.
  await (await fetch(redirectTarget)).text();
});

afterAll(async () => {
  for (const t of timers) clearInterval(t);
  await Promise.all([...servers, healthy.server].map((s) => close(s).catch(() => undefined)));
});

describe('ScrapeSource against hostile /metrics servers on loopback', () => {
  it.each([
    { server: 'endless', reason: 'too_large', message: /body larger than 4194304 bytes/ },
    { server: 'slow', reason: 'timeout', message: /no complete answer within 800 ms/ },
    { server: 'silent', reason: 'timeout', message: /no complete answer within 800 ms/ },
    {
      server: 'poisoned',
      reason: 'invalid',
      message: /no valid chatfleet_turns_inflight.*1 malformed lines/,
    },
    { server: 'large', reason: 'too_large', message: /Content-Length 10485\d+ exceeds 4194304 bytes/ },
    { server: 'largeChunked', reason: 'too_large', message: /body larger than 4194304 bytes/ },
    { server: 'gzipBomb', reason: 'too_large', message: /body larger than 4194304 bytes/ },
    { server: 'redirect', reason: 'unreachable', message: /redirect/ },
  ])('$server: bounded, reported as $reason, event loop responsive', async ({ server, reason, message }) => {
    const fleet = { namespace: 'hostile', name: server, podEndpoints: [urls[server] as string] };
    const scrapeOnce = async () => {
      const registry = new Registry();
      const metrics = registerAutoscalerMetrics(registry).scrape;
      const source = new ScrapeSource({ timeoutMs: TIMEOUT_MS, metrics });
      const started = performance.now();
      const { result, maxGapMs, ticks } = await maxTimerGap(() => source.fetch(fleet, win()));
      const elapsed = performance.now() - started;
      console.log(
        `${server}: ${elapsed.toFixed(0)} ms, max timer gap ${maxGapMs.toFixed(0)} ms, ${ticks} ticks`,
      );
      return { result, elapsed, maxGapMs, failures: await metrics.failures.get() };
    };
    const first = await scrapeOnce();
    expect(first.result.kind).toBe('failure');
    if (first.result.kind === 'failure') expect(first.result.error).toMatch(message);
    expect(first.elapsed).toBeLessThan(TIMEOUT_MS + 1500);
    expect(first.failures.values).toEqual([
      { labels: { namespace: 'hostile', name: server, reason }, value: 1 },
    ]);
    // A scraper that blocks the loop (a synchronous parse or inflate of the body) does so on every
    // try; a gap from the 2-core machine descheduling this process (364 ms once in CI) does not. So
    // the best of up to 3 tries must stay under 250 ms.
    let bestGapMs = first.maxGapMs;
    for (let tries = 1; tries < 3 && bestGapMs >= 250; tries++)
      bestGapMs = Math.min(bestGapMs, (await scrapeOnce()).maxGapMs);
    expect(bestGapMs).toBeLessThan(250);
  });

  it('counts malformed lines on the injected registry and still uses the valid ones', async () => {
    const mixed = await serve((_req, res) => void res.end(`${POISON}chatfleet_turns_inflight 3\nx{a=1} 2\n`));
    const registry = new Registry();
    const source = new ScrapeSource({ metrics: registerAutoscalerMetrics(registry).scrape });
    const got = await source.fetch({ namespace: 'hostile', name: 'mixed', podEndpoints: [mixed] }, win());
    expect(got).toMatchObject({ kind: 'sample', inflight: 3, podsReporting: 1 });
    const text = await registry.metrics();
    expect(text).toContain(
      'chatfleet_operator_scrape_malformed_lines_total{namespace="hostile",name="mixed"} 1',
    );
    source.forget('hostile/mixed');
    expect(await registry.metrics()).not.toContain('name="mixed"');
  });

  it('a fleet of hostile pods is bounded by the fleet deadline and concurrency', async () => {
    const source = new ScrapeSource({ timeoutMs: 500, maxConcurrent: 4, fleetTimeoutMs: 1200 });
    const podEndpoints = Array.from({ length: 40 }, () => urls.silent as string);
    const started = performance.now();
    const got = await source.fetch({ namespace: 'hostile', name: 'many', podEndpoints }, win());
    const elapsed = performance.now() - started;
    expect(got.kind).toBe('failure');
    if (got.kind === 'failure') expect(got.error).toContain('took longer than 1200 ms');
    // 4 at a time, 500 ms each: the deadline stops new scrapes after 1.2 s, the last ones end by ~1.5 s.
    expect(elapsed).toBeLessThan(2500);
  });
});

describe("PrometheusSource against a hostile URL (spec.scaling.metrics.prometheus.url is the tenant's)", () => {
  it.each([
    { server: 'endless', message: /body larger than 1048576 bytes/ },
    { server: 'slow', message: /no complete answer within 800 ms/ },
    { server: 'redirect', message: /unreachable.*redirect/ },
  ])('$server: bounded and reported', async ({ server, message }) => {
    const source = new PrometheusSource({ url: urls[server] as string, timeoutMs: TIMEOUT_MS });
    const started = performance.now();
    const { result, maxGapMs } = await maxTimerGap(() =>
      source.fetch({ namespace: 'hostile', name: server, podEndpoints: [] }, win()),
    );
    expect(result.kind).toBe('failure');
    if (result.kind === 'failure') expect(result.error).toMatch(message);
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + 1500);
    expect(maxGapMs).toBeLessThan(250);
  });
});

describe('FleetAutoscaler: a pod with garbage metrics costs only its own fleet', () => {
  const fleet = (name: string): ChatbotDeployment =>
    defaultedCbd(
      { runtime: { image: 'bot', maxInflight: 20 }, scaling: { minReplicas: 2, maxReplicas: 10 } },
      { namespace: 'hostile', name },
    );

  it('poisoned fleet goes FailedGetMetrics then FallbackActive; the healthy fleet keeps its data', async () => {
    const registry = new Registry();
    const autoscaler = new FleetAutoscaler({ metrics: registerAutoscalerMetrics(registry) });
    const ticker = { n: 0 };
    const t = setInterval(() => ticker.n++, 10);
    timers.add(t);
    const t0 = Date.now();
    let poisonedResult: EvaluateResult | undefined;
    let healthyResult: EvaluateResult | undefined;
    for (let i = 0; i < 4; i++) {
      const now = t0 + i * 15_000;
      const before = ticker.n;
      [poisonedResult, healthyResult] = await Promise.all([
        autoscaler.evaluate({
          cbd: fleet('poisoned'),
          currentReplicas: 2,
          readyReplicas: 1,
          podEndpoints: [urls.poisoned as string],
          now,
        }),
        autoscaler.evaluate({
          cbd: fleet('healthy'),
          currentReplicas: 2,
          readyReplicas: 1,
          podEndpoints: [healthy.url],
          now,
        }),
      ]);
      await sleep(30);
      expect(ticker.n).toBeGreaterThan(before); // the timer kept firing during the scrapes
    }
    clearInterval(t);
    const condition = (r: EvaluateResult | undefined, type: string) =>
      r?.conditions.find((c) => c.type === type);
    expect(condition(poisonedResult, 'ScalingActive')).toMatchObject({
      status: 'False',
      reason: 'FailedGetMetrics',
    });
    expect(condition(poisonedResult, 'ScalingActive')?.message).toContain('malformed lines skipped');
    expect(condition(poisonedResult, 'FallbackActive')).toMatchObject({ status: 'True' });
    expect(condition(healthyResult, 'ScalingActive')).toMatchObject({ status: 'True' });
    expect(condition(healthyResult, 'FallbackActive')).toMatchObject({ status: 'False' });
    const malformed = await registry
      .getSingleMetric('chatfleet_operator_scrape_malformed_lines_total')
      ?.get();
    expect(malformed?.values).toEqual([{ labels: { namespace: 'hostile', name: 'poisoned' }, value: 4 }]);
  });
});
