/**
 * The metric reads of a reconcile end as soon as its AbortSignal aborts (the operator's term ended),
 * not at their deadlines: pod scrapes (autoscaler), Prometheus queries, and the rollout's pod reads.
 * Real loopback HTTP servers that accept the request and never answer.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusSource } from '../sources/prometheus-source.js';
import { ScrapeSource } from '../sources/scrape-source.js';
import { RolloutScraper } from '../../rollout/scraper.js';
import type { ChatbotDeployment, KubeObject } from '../../workload/types.js';

let server: Server;
let base = '';
const waiting = new Set<ServerResponse>();
let received = 0;

beforeAll(async () => {
  // Reads the request, never answers (until the test ends).
  server = createServer((_req, res) => {
    received += 1;
    waiting.add(res);
    res.on('close', () => waiting.delete(res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of waiting) res.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Starts `read`, aborts once the server holds `requests` requests, and says how long the read took after it. */
async function abortMidRead<T>(
  read: (signal: AbortSignal) => Promise<T>,
  requests = 1,
): Promise<{ value: T; afterAbortMs: number }> {
  const abort = new AbortController();
  const before = received;
  const pending = read(abort.signal).then((value) => ({ value, at: performance.now() }));
  for (let i = 0; i < 100 && received - before < requests; i++) await new Promise((r) => setTimeout(r, 20));
  expect(received - before).toBeGreaterThanOrEqual(requests); // the requests are in flight, unanswered
  const abortedAt = performance.now();
  abort.abort(new Error('leadership lost'));
  const { value, at } = await pending;
  return { value, afterAbortMs: at - abortedAt };
}

const window = { now: Date.now(), seconds: 60, percentile: 95 };

describe('metric reads are cancelled with the reconcile (real loopback servers)', () => {
  it('pod scrapes (timeout 10 s) end within 100 ms of the abort', async () => {
    const source = new ScrapeSource({ timeoutMs: 10_000, fleetTimeoutMs: 20_000 });
    const { value, afterAbortMs } = await abortMidRead(
      (signal) =>
        source.fetch({ namespace: 'h3kafka', name: 'f', podEndpoints: [base, `${base}/b`], signal }, window),
      2,
    );
    expect(value).toMatchObject({ kind: 'failure' });
    expect((value as { error: string }).error).toContain('cancelled');
    expect(afterAbortMs).toBeLessThan(100);
  });

  it('a Prometheus query (timeout 10 s) ends within 100 ms of the abort', async () => {
    const source = new PrometheusSource({ url: base, timeoutMs: 10_000 });
    const { value, afterAbortMs } = await abortMidRead((signal) =>
      source
        .fetch({ namespace: 'h3kafka', name: 'f', podEndpoints: [], signal }, window)
        .catch((e: unknown) => e),
    );
    const text = value instanceof Error ? value.message : JSON.stringify(value);
    expect(text).toContain('cancelled');
    expect(afterAbortMs).toBeLessThan(100);
  });

  it("the rollout's pod reads (timeout 10 s) end within 100 ms of the abort", async () => {
    const scraper = new RolloutScraper({ endpoint: () => base, timeoutMs: 10_000 });
    const pod = (name: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, uid: name },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    });
    const cbd = { metadata: { name: 'f', namespace: 'h3kafka' }, spec: {} } as unknown as ChatbotDeployment;
    const { value, afterAbortMs } = await abortMidRead(
      (signal) => scraper.scrape('h3kafka/f', cbd, [pod('p1'), pod('p2')], undefined, new Date(), signal),
      2,
    );
    expect(value).toMatchObject({ podsRead: 0, podsTotal: 2 });
    expect(afterAbortMs).toBeLessThan(100);
  });

  it('the rollout stops starting pod reads after its fleet bound (many slow pods cost one bound, not n/8 timeouts)', async () => {
    const scraper = new RolloutScraper({
      endpoint: () => base,
      timeoutMs: 300,
      fleetTimeoutMs: 500,
      maxConcurrent: 8,
    });
    const pods = Array.from({ length: 40 }, (_, i): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `slow-${i}`, uid: `slow-${i}` },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    }));
    const cbd = { metadata: { name: 'g', namespace: 'h3kafka' }, spec: {} } as unknown as ChatbotDeployment;
    const before = received;
    const started = performance.now();
    const result = await scraper.scrape('h3kafka/g', cbd, pods, undefined, new Date());
    const took = performance.now() - started;
    expect(result).toMatchObject({ podsRead: 0, podsTotal: 40 });
    // Two batches of 8 started (at 0 and ~300 ms), the three others were never sent: 5 x 300 ms without the bound.
    expect(received - before).toBe(16);
    expect(took).toBeLessThan(900);
  });
});
