import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { startFakeLlm, type FakeLlm } from '../../../bot-runtime/integration/support/llm-server.js';
import { defaultedCbd } from '../../api/fixtures.js';
import type { MetricSample } from '../core/types.js';
import { FleetAutoscaler } from '../fleet-autoscaler.js';
import { registerAutoscalerMetrics } from '../metrics.js';
import { ScrapeSource } from '../sources/scrape-source.js';
import {
  bucketWidthMs,
  percentile,
  pool,
  seededInts,
  sleep,
  spawnBot,
  timed,
  type SpawnedBot,
} from './support.js';

/**
 * The scrape source against a REAL bot runtime process (tsx bot-runtime/main.ts). Its LLM is a small HTTP
 * server that answers after the delay encoded in the message, so the test controls the turn durations and
 * measures each turn client-side.
 */
const API_KEY = 'autoscaler-it-key';
let llm: FakeLlm | undefined;
let bot: SpawnedBot;

beforeAll(async () => {
  llm = await startFakeLlm();
  bot = await spawnBot({
    LLM_ENDPOINT: `${llm.url}/v1`,
    LLM_TIMEOUT_MS: '10000',
    AUTH_API_KEYS: API_KEY,
    LOG_LEVEL: 'warn',
    MODEL_VERSION: 'it-1',
  });
});

afterAll(async () => {
  await bot?.stop();
  await llm?.close();
});

async function turn(i: number, delayMs: number): Promise<number> {
  const message = `zq${i}x unusual request delay${delayMs} ${Math.random().toString(36).slice(2)}`;
  const r = await timed(`${bot.url}/v1/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
    body: JSON.stringify({ message }),
  });
  if (r.status !== 200) throw new Error(`turn ${i}: HTTP ${r.status}\n${bot.output().slice(-2000)}`);
  return r.ms;
}

function asSample(o: Awaited<ReturnType<ScrapeSource['fetch']>>): MetricSample {
  if (o.kind !== 'sample') throw new Error(`expected a sample, got ${JSON.stringify(o)}`);
  return o;
}

describe('scrape source against a real bot runtime', () => {
  it('scraped p95 matches client-measured turn latency within bucket resolution', async () => {
    const source = new ScrapeSource();
    const fleet = { namespace: 'it', name: `bot-${Date.now().toString(36)}`, podEndpoints: [bot.url] };
    const window = () => ({ now: Date.now(), seconds: 120, percentile: 95 });
    asSample(await source.fetch(fleet, window()));
    // Turns of 1.2-2.7 s: the p95 falls in the (2 s, 3 s] bucket, where the few hundred ms the runtime and
    // the client add around the timed turn on a busy machine stay within the bucket resolution.
    const delays = seededInts(21, 80, 1200, 2700);
    const measured = await pool(
      delays.map((d, i) => () => turn(i, d)),
      10,
    );
    const sample = asSample(await source.fetch(fleet, window()));
    const clientP95 = percentile(measured, 95);
    console.log(
      `bot runtime: client p95 ${clientP95.toFixed(1)} ms, scraped p95 ${sample.latencyMs?.toFixed(1)} ms, turns ${sample.turns}`,
    );
    expect(sample.turns).toBe(80);
    expect(Math.abs((sample.latencyMs ?? NaN) - clientP95)).toBeLessThanOrEqual(bucketWidthMs(clientP95));
  });

  it('FleetAutoscaler scales up on the real runtime when latency exceeds the SLO, naming the signal', async () => {
    const autoscaler = new FleetAutoscaler();
    const cbd = defaultedCbd(
      {
        scaling: { minReplicas: 1, maxReplicas: 6 },
        slo: { latency: { percentile: 95, targetMs: 300 } },
      },
      { namespace: 'it', name: `slo-${Date.now().toString(36)}` },
    );
    const input = { cbd, currentReplicas: 1, readyReplicas: 1, podEndpoints: [bot.url] };
    await autoscaler.evaluate({ ...input, now: Date.now() });
    await pool(
      seededInts(22, 40, 700, 900).map((d, i) => () => turn(1000 + i, d)),
      8,
    );
    await sleep(50);
    const r = await autoscaler.evaluate({ ...input, now: Date.now() });
    expect(r.statusAutoscaling.observedLatencyMs).toBeGreaterThan(300);
    expect(r.desiredReplicas).toBeGreaterThan(1);
    expect(r.event?.reason).toBe('ScaledUp');
    expect(r.event?.message).toContain('signal latency');
    expect(r.conditions.find((c) => c.type === 'SLOMet')?.status).toBe('False');
  });

  it('learns the capacity from the real runtime metrics when no target is set, and exports it', async () => {
    const registry = new Registry();
    const autoscaler = new FleetAutoscaler({ metrics: registerAutoscalerMetrics(registry) });
    const name = `learn-${Date.now().toString(36)}`;
    const cbd = defaultedCbd(
      {
        // A short window keeps the test short: learning needs half a window of time-averaged in-flight.
        scaling: { minReplicas: 1, maxReplicas: 6, metricsWindowSeconds: 10, panic: { windowSeconds: 4 } },
        slo: { latency: { percentile: 95, targetMs: 300 } },
      },
      { namespace: 'it', name },
    );
    const input = { cbd, currentReplicas: 1, readyReplicas: 1, podEndpoints: [bot.url] };
    await autoscaler.evaluate({ ...input, now: Date.now() });
    // 8 turns of 150 ms in flight at all times for about 9 s: well under the 300 ms SLO.
    const load = pool(
      Array.from({ length: 440 }, (_, i) => () => turn(5000 + i, 150)),
      8,
    );
    let r = await autoscaler.evaluate({ ...input, now: Date.now() });
    for (let i = 0; i < 3; i++) {
      await sleep(3000);
      r = await autoscaler.evaluate({ ...input, now: Date.now() });
    }
    await load;
    const { readings } = r.decision;
    console.log(
      `learnt ${readings.learntInflightPerPod?.toFixed(2)}/pod at p95 ${readings.latencyMs?.toFixed(0)} ms, in flight ${readings.inflightPerPod?.toFixed(2)}/pod`,
    );
    // Faster than the aim (255 ms): learnt from the pod's own windows, of the order of what it carried (the
    // first window's Little bound x 255 / p95, then smoothed), far below the default ceiling of 44.8.
    const perPod = readings.inflightPerPod ?? NaN;
    expect(readings.latencyMs).toBeLessThan(255);
    expect(readings.learntInflightPerPod).toBeGreaterThan(0.5 * perPod);
    expect(readings.learntInflightPerPod).toBeLessThan(Math.min(3 * perPod, 0.7 * 64));
    expect(readings.effectiveTargetInflightPerPod).toBe(readings.learntInflightPerPod);
    expect(r.statusAutoscaling.reason).toContain('learnt capacity at the SLO');
    const line = (await registry.metrics())
      .split('\n')
      .find((l) => l.startsWith(`chatfleet_fleet_learned_inflight_per_pod{namespace="it",name="${name}"}`));
    expect(Number(line?.split(' ').at(-1))).toBeCloseTo(readings.learntInflightPerPod ?? NaN);
  }, 60_000);
});
