import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testenvVar } from '../../../e2e/support/env.js';
import { PrometheusSource } from '../sources/prometheus-source.js';
import { sleep, spawnBot, type SpawnedBot } from './support.js';

/**
 * The Prometheus source against the test environment's REAL Prometheus (testenv/up.sh), which
 * scrapes a real bot runtime on loopback registered as a file_sd target with the namespace and
 * pod labels Kubernetes service discovery would give it. The PromQL the source sends, the
 * answers' shape and "no data" all come from Prometheus itself.
 */
const fleet = { namespace: `prom-${randomUUID().slice(0, 6)}`, name: 'faq', podEndpoints: [] };
const targetFile = join(testenvVar('PROMETHEUS_TARGETS_DIR'), `${fleet.namespace}.json`);
const prometheusUrl = testenvVar('PROMETHEUS_URL');
let bot: SpawnedBot;

async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await fetch(`${bot.url}/v1/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: i % 2 ? 'where is my order' : 'hello' }),
    });
    expect(r.status).toBe(200);
  }
}

async function instant(query: string): Promise<{ value: [number, string] }[]> {
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as { data?: { result?: { value: [number, string] }[] } };
  return body.data?.result ?? [];
}

/** Waits until Prometheus has scraped the bot once: increase() needs a sample from before the turns. */
async function firstScrape(): Promise<void> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(250)) {
    if ((await instant(`up{namespace="${fleet.namespace}"} == 1`)).length > 0) return;
  }
  throw new Error(`Prometheus did not scrape ${bot.url} within 30 s`);
}

/** Waits until Prometheus has scraped the bot after `n` turns (its counter shows them). */
async function scrapedTurns(atLeast: number): Promise<void> {
  const query = `sum(chatfleet_turn_duration_seconds_count{namespace="${fleet.namespace}"})`;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(500)) {
    if (Number((await instant(query))[0]?.value[1] ?? 0) >= atLeast) return;
  }
  throw new Error(`Prometheus did not scrape ${atLeast} turns of ${bot.url} within 30 s`);
}

beforeAll(async () => {
  bot = await spawnBot({ LOG_LEVEL: 'warn', MODEL_VERSION: 'prom-1' });
  const host = new URL(bot.url).host;
  // the labels kubernetes_sd relabeling gives a bot pod (testenv/prometheus/prometheus.yml.in)
  const labels = { namespace: fleet.namespace, pod: `${fleet.name}-5d8f7c9b4-x2k9q` };
  writeFileSync(targetFile, JSON.stringify([{ targets: [host], labels }]));
});

afterAll(async () => {
  rmSync(targetFile, { force: true });
  await bot?.stop();
});

describe('Prometheus source against a real Prometheus', () => {
  it('reads in-flight, pods, turns, concurrency and the latency percentile of a scraped bot runtime, in one combined query', async () => {
    await firstScrape();
    await turns(40);
    await sleep(2_500); // two scrapes: rate() and increase() need two samples in the window
    await turns(40);
    await scrapedTurns(80);
    const source = new PrometheusSource({ url: prometheusUrl });
    const obs = await source.fetch(fleet, { now: Date.now(), seconds: 60, percentile: 95 });
    if (obs.kind !== 'sample') throw new Error(`expected a sample, got ${JSON.stringify(obs)}`);
    expect(obs.podsReporting).toBe(1);
    expect(obs.inflight).toBe(0);
    // increase() extrapolates over the window, so the count is near, not exactly, the turns sent
    expect(obs.turns).toBeGreaterThan(20);
    expect(obs.latencyMs).not.toBeNull();
    expect(obs.latencyMs!).toBeGreaterThan(0);
    expect(obs.latencyMs!).toBeLessThan(1_000);
    // Little's law over the window: turn-seconds per second, small and positive for 80 quick turns.
    expect(obs.concurrency).not.toBeNull();
    expect(obs.concurrency!).toBeGreaterThan(0);
    expect(obs.concurrency!).toBeLessThan(1);
  });

  it('reports a fleet Prometheus has never seen as no data, never as zero', async () => {
    const source = new PrometheusSource({ url: prometheusUrl });
    const obs = await source.fetch(
      { namespace: 'nobody-here', name: 'ghost', podEndpoints: [] },
      { now: Date.now(), seconds: 60, percentile: 95 },
    );
    expect(obs.kind).toBe('noData');
  });

  it('reports a PromQL error from Prometheus as a failure naming it', async () => {
    const source = new PrometheusSource({ url: prometheusUrl, latencyQuery: 'histogram_quantile(' });
    await turns(1);
    await scrapedTurns(81);
    const obs = await source.fetch(fleet, { now: Date.now(), seconds: 60, percentile: 95 });
    expect(obs.kind).toBe('failure');
    if (obs.kind === 'failure') expect(obs.error).toMatch(/parse error|bad_data/);
  });
});
