/* eslint-disable @typescript-eslint/no-unsafe-member-access --
   status.rollout is read from raw Kubernetes JSON. */
// Every panel query of the chart's dashboards (charts/chatfleet/dashboards/*.json), run on the test
// environment's REAL Prometheus while it scrapes a real fleet under load:
// - the real operator (in-process: startOperator with the rollout and SLO autoscaler components) on the
//   real API server, its /metrics registered as a file_sd target (no namespace target label: the
//   per-fleet series keep their own labels, as honorLabels does with the chart's ServiceMonitor);
// - real bot runtimes (RuntimeFleet: two per track, the test environment's Redis, watching the routing
//   ConfigMap) standing behind the kwok pods, registered with the namespace and pod labels Kubernetes
//   SD gives bot pods; traffic flows through a whole canary rollout (A/A, promoted), so the rollout
//   panels have analyses to show.
// Each query must parse and return at least one series. e2e/real-node/rollout-dashboards.ts runs the
// same queries on real bot pods scraped through Kubernetes SD.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import {
  chartAlert,
  chartRules,
  inlineRecordingRules,
  panelQueries,
  promQuery,
  runnablePanelQuery,
  type QueryResult,
} from '../../../e2e/support/dashboard-queries.js';
import { testenvVar } from '../../../e2e/support/env.js';
import { sloFleet, spec } from './dashboards-live-fleets.js';
import { freePort } from '../../../bot-runtime/integration/support/child.js';
import { startFakeLlm, type FakeLlm } from '../../../bot-runtime/integration/support/llm-server.js';
import { postChat, startRuntime, type Runtime } from '../../../bot-runtime/integration/support/runtime.js';
import { AutoscalerComponent } from '../../autoscaler/component.js';
import { FleetAutoscaler } from '../../autoscaler/fleet-autoscaler.js';
import { registerAutoscalerMetrics } from '../../autoscaler/metrics.js';
import { startOperator, type RunningOperator } from '../../controller/manager.js';
import {
  applyCr,
  createNamespace,
  deleteNamespace,
  getCr,
  installCrd,
  kubectl,
  operatorConfig,
  waitFor,
  waitReady,
} from '../../integration/support.js';
import { loadKubeConfig } from '../../kube/kubeconfig.js';
import type { KubeClient } from '../../kube/client.js';
import { RolloutComponent } from '../../rollout/component.js';
import { RolloutScraper } from '../../rollout/scraper.js';
import { RuntimeFleet } from '../../rollout/integration/runtime-fleet.js';

const NAME = 'support';
const prometheusUrl = testenvVar('PROMETHEUS_URL');
let ns = '';
let op: RunningOperator | undefined;
let fleet: RuntimeFleet | undefined;
let targetFile = '';
let sideLoad = false;
let side: Promise<void> | undefined;

/** The file_sd targets: the operator, and each runtime under the pod name of its track. */
/** Runtimes of the last test, each the one pod of its own fleet. */
const extraRuntimes: { fleet: string; runtime: Runtime }[] = [];
let llm: FakeLlm | undefined;

function registerTargets(f: RuntimeFleet, healthPort: number): void {
  const host = (url: string): string => new URL(url).host;
  const bots = (['stable', 'canary'] as const).flatMap((track) =>
    f.runtimes[track].map((rt, i) => ({
      targets: [host(rt.url)],
      labels: { namespace: ns, pod: `${NAME}${track === 'canary' ? '-canary' : ''}-5d8f7c9b4-p${i}x` },
    })),
  );
  const operator = { targets: [`127.0.0.1:${healthPort}`], labels: { component: 'operator', test: ns } };
  const extra = extraRuntimes.map(({ fleet: name, runtime }) => ({
    targets: [host(runtime.url)],
    labels: { namespace: ns, pod: `${name}-6c5b4a3d2-q1x` },
  }));
  writeFileSync(targetFile, JSON.stringify([operator, ...bots, ...extra]));
}

/** Questions no intent matches, repeated: they go through the answer cache (its panel needs lookups). */
function startSideLoad(f: RuntimeFleet): void {
  sideLoad = true;
  side = (async () => {
    for (let i = 0; sideLoad; i++) {
      await postChat(f.runtimes.stable[i % 2]!.url, { message: `qzv florp wibble ${i % 5}` }).catch(
        () => undefined,
      );
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
}

beforeAll(async () => {
  if (!process.env.REDIS_URL) throw new Error('REDIS_URL is not set: source .testenv/env');
  await installCrd();
  ns = await createNamespace('h6alerts-dash');
  targetFile = join(testenvVar('PROMETHEUS_TARGETS_DIR'), `${ns}.json`);
  fleet = new RuntimeFleet(ns, NAME);
  await fleet.start(2);
  const f = fleet;
  const registry = new Registry();
  const autoscaler = new FleetAutoscaler({ metrics: registerAutoscalerMetrics(registry) });
  const resolveEndpoints = (pods: Parameters<RuntimeFleet['endpoint']>[0][]): string[] =>
    pods.map((p) => f.endpoint(p)).filter((u): u is string => u !== undefined);
  const { kc } = loadKubeConfig(process.env);
  op = await startOperator({
    config: operatorConfig(ns),
    kc,
    log: pino({ level: process.env.TEST_OPERATOR_LOG ?? 'silent' }),
    registry,
    components: [
      (client: KubeClient) =>
        new RolloutComponent({
          client,
          registry,
          scraper: new RolloutScraper({ endpoint: f.endpoint, minGapMs: 200 }),
        }),
      new AutoscalerComponent({ autoscaler, resolveEndpoints }),
    ],
  });
  registerTargets(f, op.healthPort);
}, 180_000);

afterAll(async () => {
  sideLoad = false;
  await side;
  if (targetFile) rmSync(targetFile, { force: true });
  await op?.stop();
  await fleet?.close();
  for (const { runtime } of extraRuntimes) await runtime.close();
  await llm?.close();
  if (ns) await deleteNamespace(ns);
});

const query = (expr: string): Promise<QueryResult> => promQuery(prometheusUrl, expr);
const substitute = (expr: string): string =>
  runnablePanelQuery(expr, { namespace: ns, fleet: NAME, range: '10m' });

describe('dashboard queries on the real Prometheus scraping a real fleet under load', () => {
  it('every panel query parses and returns at least one series', async () => {
    const f = fleet!;
    await applyCr(ns, NAME, spec('v1'));
    await waitReady(ns, NAME);
    await waitFor('Idle', async () => (await getCr(ns, NAME)).status?.rollout?.phase === 'Idle');
    f.startTraffic();
    startSideLoad(f);
    await applyCr(ns, NAME, spec('v2'));
    await waitFor(
      'rollout Promoted',
      async () => {
        await f.prune();
        return (await getCr(ns, NAME)).status?.rollout?.phase === 'Promoted';
      },
      240_000,
    );
    await new Promise((r) => setTimeout(r, 5_000)); // two more scrapes after the last analysis
    // the operator panels have no fleet selector: make sure this test's operator is among what they read
    for (const m of [
      'up',
      'chatfleet_operator_reconcile_total',
      'chatfleet_operator_leader',
      'chatfleet_operator_kube_writes_total',
    ])
      expect([m, (await query(`${m}{test="${ns}"}`)).series > 0]).toEqual([m, true]);
    const queries = panelQueries();
    expect(queries.length).toBeGreaterThanOrEqual(15);
    const results = [];
    for (const q of queries) results.push({ ...q, ...(await query(substitute(q.expr))) });
    // A gauge of the fleet can be absent for an evaluation or two around the promotion (the old
    // pods are gone, the autoscaler's window has no latency yet, so it removes the series rather
    // than show a stale one): a panel passes when it shows a series within 30 s, traffic running.
    const until = Date.now() + 30_000;
    for (let i = 0; i < results.length; i++) {
      while (results[i]!.status === 'success' && results[i]!.series === 0 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 2_000));
        results[i] = { ...results[i]!, ...(await query(substitute(results[i]!.expr))) };
      }
    }
    await f.stopTraffic();
    const report = results
      .map((r) => `${r.series} series ${r.status}: ${r.dashboard}: ${r.title}`)
      .join('\n');
    console.log(report);
    expect(results.filter((r) => r.status !== 'success').map((r) => `${r.title}: ${r.error}`)).toEqual([]);
    expect(results.filter((r) => r.series === 0).map((r) => `${r.dashboard}: ${r.title}: ${r.expr}`)).toEqual(
      [],
    );
    console.log(
      `h6alerts: ${results.length} dashboard queries validated (parsed, >= 1 series) on the real Prometheus`,
    );
  }, 360_000);

  it('evaluates every alert of the chart on the same data: a manual abort fires RolloutAborted, the rest stay quiet', async () => {
    const f = fleet!;
    f.startTraffic();
    await applyCr(ns, NAME, spec('v3'));
    await waitFor(
      'rollout Progressing',
      async () => (await getCr(ns, NAME)).status?.rollout?.phase === 'Progressing',
    );
    await kubectl([
      '-n',
      ns,
      'annotate',
      '--overwrite',
      `cbd/${NAME}`,
      `chatfleet.io/rollout-action=abort@${Date.now()}`,
    ]);
    await waitFor(
      'rollout Aborted',
      async () => (await getCr(ns, NAME)).status?.rollout?.phase === 'Aborted',
      60_000,
    );
    await new Promise((r) => setTimeout(r, 5_000)); // two scrapes of the Aborted phase
    await f.stopTraffic();
    const alerts = chartRules.filter((r) => r.alert !== undefined);
    const firing = new Map<string, Record<string, string>[]>();
    for (const a of alerts) {
      const r = await query(inlineRecordingRules(a.expr));
      expect([a.alert, r.status, r.error]).toEqual([a.alert, 'success', undefined]);
      firing.set(
        a.alert!,
        r.labels.filter((l) => l.namespace === ns || l.test === ns),
      );
    }
    console.log(
      `h6alerts: alert conditions true for ${ns}: ${[...firing]
        .filter(([, l]) => l.length > 0)
        .map(([a]) => a)
        .join(', ')}`,
    );
    expect(firing.get('ChatfleetRolloutAborted')).toEqual([
      expect.objectContaining({ namespace: ns, name: NAME, phase: 'Aborted' }),
    ]);
    for (const quiet of [
      'ChatfleetSLOBurnRateFast',
      'ChatfleetSLOBurnRateSlow',
      'ChatfleetFleetAtMaxReplicasSLOMissed',
      'ChatfleetAutoscalerFallback',
      'ChatfleetEventsDropped',
      'ChatfleetRedisNotReady',
    ])
      expect([quiet, firing.get(quiet)]).toEqual([quiet, []]);
    // this operator is scraped and leads: neither operator alert can be true
    expect((await query(inlineRecordingRules(chartAlert('ChatfleetOperatorDown').expr))).series).toBe(0);
    expect((await query(inlineRecordingRules(chartAlert('ChatfleetOperatorNoLeader').expr))).series).toBe(0);
  }, 180_000);

  it('fires the SLO burn on a fleet slower than its own target, not on one within it, and RedisNotReady on one whose Redis is gone', async () => {
    llm = await startFakeLlm(450); // every LLM turn takes about 450 ms
    // Each fleet's SLO reaches the rules through the operator's chatfleet_fleet_slo_* gauges:
    // slowbot's 400 ms target is missed by every LLM turn, patient's 1 s target is met by all.
    await applyCr(ns, 'slowbot', sloFleet(400));
    await applyCr(ns, 'patient', sloFleet(1000));
    const base = { REDIS_CLUSTER_NODES: '', KAFKA_BROKERS: '', LLM_ENDPOINT: llm.url };
    const slow = await startRuntime({ ...base, REDIS_URL: process.env.REDIS_URL! });
    const patient = await startRuntime({ ...base, REDIS_URL: process.env.REDIS_URL! });
    const gone = await startRuntime(
      { ...base, REDIS_URL: `redis://127.0.0.1:${await freePort()}` },
      { requireRedis: false },
    );
    extraRuntimes.push(
      { fleet: 'slowbot', runtime: slow },
      { fleet: 'patient', runtime: patient },
      { fleet: 'nostore', runtime: gone },
    );
    registerTargets(fleet!, op!.healthPort);
    await waitFor("both fleets' SLO gauges scraped", async () => {
      const r = await query(`chatfleet_fleet_slo_bucket_info{namespace="${ns}"}`);
      const les = r.labels.map((l) => `${l.name}:${l.le}`).sort();
      return les.includes('patient:1') && les.includes('slowbot:0.4');
    });
    // nostore's LLM answers at once ("delay0"): only its missing Redis is wrong
    const turns = async (rt: Runtime, n: number, extra = ''): Promise<void> => {
      for (let i = 0; i < n; i++)
        await postChat(rt.url, { message: `qzv unusual ${Math.random().toString(36).slice(2)}${extra}` });
    };
    // turns over several scrapes (every 2 s): rate() needs two samples that moved
    for (const deadline = Date.now() + 12_000; Date.now() < deadline;)
      await Promise.all([turns(slow, 4), turns(patient, 4), turns(gone, 4, ' delay0')]);
    const fired = async (alert: string): Promise<Record<string, string>[]> => {
      const r = await query(inlineRecordingRules(chartAlert(alert).expr));
      expect([alert, r.status]).toEqual([alert, 'success']);
      return r.labels.filter((l) => l.namespace === ns);
    };
    const fast = await fired('ChatfleetSLOBurnRateFast');
    const redis = await fired('ChatfleetRedisNotReady');
    console.log(
      `h6alerts: ChatfleetSLOBurnRateFast true for ${JSON.stringify(fast)}; ChatfleetRedisNotReady true for ${JSON.stringify(redis)}`,
    );
    expect(fast).toEqual([{ namespace: ns, fleet: 'slowbot' }]);
    // patient is quiet because its turns are within 1 s, not because its ratio is missing: Prometheus 3
    // stores its bucket as le="1.0", which the operator's bucket series must match.
    const ratios = await query(inlineRecordingRules('chatfleet:turns_slow:ratio_rate5m'));
    expect(ratios.labels.filter((l) => l.namespace === ns && l.fleet === 'patient')).toHaveLength(1);
    expect(redis).toEqual([{ namespace: ns, fleet: 'nostore' }]);
  }, 120_000);
});
