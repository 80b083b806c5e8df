/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument --
   These tests inspect raw Kubernetes JSON (kubectl -o json); typing every field would add nothing. */
// Whole canary rollouts decided on real data: the operator (real API server, kwok pods) reads the
// /metrics of real bot runtimes standing behind the kwok pods (runtime-fleet.ts), which watch the routing
// ConfigMap through the API server and take traffic. An equal version (A/A) is promoted through every
// step; a version whose bundle sends every turn to fallback is rolled back. This stands in for the
// real-node e2e where kwok cannot run code; it also measures how fast a weight reaches every runtime.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import type { KubeClient } from '../../kube/client.js';
import {
  applyCr,
  createNamespace,
  deleteNamespace,
  getCr,
  installCrd,
  kubectlJson,
  repoRoot,
  startInProcess,
  waitFor,
  waitReady,
} from '../../integration/support.js';
import type { InProcessOperator } from '../../integration/support.js';
import type { KubeObject } from '../../workload/types.js';
import { RolloutComponent } from '../component.js';
import { RolloutScraper } from '../scraper.js';
import { RuntimeFleet } from './runtime-fleet.js';

const spec = (analysis: Record<string, number>): Record<string, unknown> => ({
  scaling: { minReplicas: 2, maxReplicas: 2 },
  rollout: {
    steps: [{ setWeight: 20 }, { analysis: {} }, { setWeight: 50 }, { analysis: {} }],
    analysis: { intervalSeconds: 5, minTurns: 10, ...analysis },
    progressDeadlineSeconds: 120,
  },
});
const model = (version: string): Record<string, unknown> => ({ model: { name: 'support-bot', version } });

let ns: string;
let operator: InProcessOperator;
const fleets = new Map<string, RuntimeFleet>();

beforeAll(async () => {
  if (!process.env.REDIS_URL) throw new Error('REDIS_URL is not set: source .testenv/env');
  await installCrd();
  ns = await createNamespace('ro-real');
  const endpoint = (pod: KubeObject, cbd: { metadata: { name?: string } }): string | undefined =>
    fleets.get(cbd.metadata.name ?? '')?.endpoint(pod);
  operator = await startInProcess(ns, {}, [
    (client: KubeClient) =>
      new RolloutComponent({
        client,
        registry: new Registry(),
        scraper: new RolloutScraper({ endpoint, minGapMs: 200 }),
      }),
  ]);
}, 120_000);

afterAll(async () => {
  await operator?.stop();
  for (const f of fleets.values()) await f.close();
  if (ns) await deleteNamespace(ns);
});

async function rolloutUntil(fleet: RuntimeFleet, phase: string, timeoutMs: number): Promise<any> {
  return waitFor(
    `${fleet.name} ${phase}`,
    async () => {
      await fleet.prune();
      const r = (await getCr(ns, fleet.name)).status?.rollout;
      return r?.phase === phase ? r : undefined;
    },
    timeoutMs,
  );
}

async function readyAtV1(fleet: RuntimeFleet, analysis: Record<string, number>): Promise<void> {
  await applyCr(ns, fleet.name, { ...spec(analysis), ...model('v1') });
  await waitReady(ns, fleet.name);
  await waitFor('Idle', async () => (await getCr(ns, fleet.name)).status?.rollout?.phase === 'Idle');
}

describe('an equal version (A/A) with real runtimes behind kwok pods', () => {
  it('reaches every runtime within 5 s per weight change and is promoted through every step', async () => {
    const fleet = new RuntimeFleet(ns, 'aa');
    fleets.set(fleet.name, fleet);
    await fleet.start(2);
    // Both tracks run the same runtime: the bounds only have to hold against the judge's statistics.
    const analysis = { maxErrorRate: 0.5, maxFallbackRate: 1, failureThreshold: 3 };
    await readyAtV1(fleet, analysis);
    fleet.startTraffic();
    const delivery = fleet.sampleDelivery();
    const t0 = Date.now();
    await applyCr(ns, fleet.name, { ...spec(analysis), ...model('v2') });
    const promoted = await rolloutUntil(fleet, 'Promoted', 240_000);
    const seconds = (Date.now() - t0) / 1000;
    const delays = await delivery.stop();
    await fleet.stopTraffic();
    console.log(
      `A/A: promoted after ${seconds.toFixed(1)} s; routing ConfigMap -> every runtime (ms, 50 ms sampling): ` +
        `${delays.join(', ')}; ${fleet.started.length} new conversations, ${fleet.canaryShare().toFixed(1)} % on v2`,
    );
    expect(promoted).toMatchObject({ stableVersion: 'v2', failedChecks: 0 });
    expect(delays.length).toBeGreaterThanOrEqual(3); // canary announced, 20 %, 50 %, promotion
    expect(Math.max(...delays)).toBeLessThanOrEqual(5000);
    expect(fleet.started.some((s) => s.modelVersion === 'v2')).toBe(true);
    const stable = await kubectlJson(['-n', ns, 'get', 'deployment', fleet.name]);
    expect(stable.spec.template.metadata.labels['chatfleet.io/model-version']).toBe('v2');
  }, 300_000);
});

describe('a bad version: its bundle sends every turn to fallback', () => {
  it('is rolled back at the first weight, with exposure at most that weight plus 3 points', async () => {
    const fleet = new RuntimeFleet(ns, 'bad');
    fleets.set(fleet.name, fleet);
    const dir = mkdtempSync(join(tmpdir(), 'ro-bad-'));
    const bundle = JSON.parse(
      readFileSync(`${repoRoot}bot-runtime/model/bundle.example.json`, 'utf8'),
    ) as Record<string, unknown>;
    // The same intents with examples nothing matches: every turn falls below the threshold (fallback).
    const intents = (bundle.intents as { examples: string[] }[]).map((it, i) => ({
      ...it,
      examples: [`qzx${i} vwk${i}`],
    }));
    writeFileSync(join(dir, 'bundle.json'), JSON.stringify({ ...bundle, threshold: 0.99, intents }));
    await fleet.start(2, { MODEL_BUNDLE: join(dir, 'bundle.json') });
    await readyAtV1(fleet, { failureThreshold: 2 });
    fleet.startTraffic();
    const t0 = Date.now();
    await applyCr(ns, fleet.name, { ...spec({ failureThreshold: 2 }), ...model('v2') });
    const aborted = await rolloutUntil(fleet, 'Aborted', 120_000);
    const seconds = (Date.now() - t0) / 1000;
    await fleet.stopTraffic();
    const exposure = fleet.canaryShare();
    console.log(
      `bad version: rolled back after ${seconds.toFixed(1)} s (${aborted.reason}); exposure ${exposure.toFixed(1)} % ` +
        `of ${fleet.started.length} new conversations; last analysis ${JSON.stringify(aborted.lastAnalysis)}`,
    );
    expect(aborted.reason).toBe('AnalysisFailed');
    expect(aborted.stableVersion).toBe('v1');
    expect(aborted.lastAnalysis.some((a: any) => a.metric === 'fallbackRate' && a.verdict === 'Fail')).toBe(
      true,
    );
    expect(exposure).toBeLessThanOrEqual(20 + 3);
    const routing = JSON.parse(
      (await kubectlJson(['-n', ns, 'get', 'configmap', `${fleet.name}-routing`])).data['routing.json'],
    );
    expect(routing).toMatchObject({ canaryWeight: 0, aborted: true });
  }, 300_000);
});
