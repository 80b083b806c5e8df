/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-explicit-any --
   These helpers return raw Kubernetes JSON (kubectl -o json); typing every field would add nothing. */
// Setup of operator-scaling.test.ts (the tests run in order on one fleet; the exported bindings are live:
// setupOperatorScaling assigns them).
import { startFakeLlm, type FakeLlm } from '../../../bot-runtime/integration/support/llm-server.js';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { startOperator, type RunningOperator } from '../../controller/manager.js';
import { loadKubeConfig } from '../../kube/kubeconfig.js';
import {
  createNamespace,
  deleteNamespace,
  getCr,
  installCrd,
  kubectlJson,
  operatorConfig,
  parseMetrics,
  requireKubeconfig,
  waitFor,
} from '../../integration/support.js';
import { AutoscalerComponent, type EndpointResolver } from '../component.js';
import type { MetricSample } from '../core/types.js';
import { FleetAutoscaler } from '../fleet-autoscaler.js';
import { registerAutoscalerMetrics } from '../metrics.js';
import { spawnBot, timed, type SpawnedBot } from './support.js';

/**
 * The autoscaler wired into the operator, end to end: the real API server with kwok nodes, the operator
 * in-process with the AutoscalerComponent, and REAL bot-runtime processes (tsx bot-runtime/main.ts) whose
 * LLM is a local HTTP server that answers after a delay the test controls. kwok pods have fake IPs, so the
 * component's endpoint resolver maps the fleet's ready pods onto the real runtimes (k ready pods -> the
 * first min(k, 3) runtimes): the scrape source reads real /metrics, and the count of pods it reads follows
 * the Deployment like it would in a cluster.
 */
export const API_KEY = 'operator-scaling-it';
export const NAME = 'slo';
export const SLO_MS = 300;
export const SLOW_LLM_MS = 900;
export const STABILIZATION_S = 10;
export const INTERVAL_S = 2;

export let llm: FakeLlm | undefined;
export let bots: SpawnedBot[] = [];
export let ns: string;
export let registry: Registry;
export let op: RunningOperator | undefined;
export let autoscaler: FleetAutoscaler;

const resolveToBots: EndpointResolver = (readyPods) =>
  bots.slice(0, Math.min(readyPods.length, bots.length)).map((b) => b.url);

export const spec = {
  scaling: {
    minReplicas: 1,
    maxReplicas: 3,
    intervalSeconds: INTERVAL_S,
    metricsWindowSeconds: 10,
    panic: { windowSeconds: 4 },
    behavior: { scaleDown: { stabilizationWindowSeconds: STABILIZATION_S } },
  },
  slo: { latency: { percentile: 95, targetMs: SLO_MS } },
  placement: { nodeSelector: { type: 'kwok' } },
};

/** Closed-loop load: `concurrency` clients each sending one slow turn after the other until stopped. */
class Load {
  private running = false;
  private workers: Promise<void>[] = [];
  turns = 0;
  failures = 0;

  start(url: string, concurrency: number): void {
    this.running = true;
    this.workers = Array.from({ length: concurrency }, (_, w) => this.worker(url, w));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  private async worker(url: string, w: number): Promise<void> {
    for (let i = 0; this.running; i++) {
      const message = `zq${w}x${i} unusual request delay${SLOW_LLM_MS} ${Math.random().toString(36).slice(2)}`;
      const r = await timed(`${url}/v1/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
        body: JSON.stringify({ message }),
      }).catch(() => ({ status: 0, ms: 0 }));
      if (r.status === 200) this.turns++;
      else this.failures++;
    }
  }
}
export const load = new Load();

export async function deployment(): Promise<any> {
  return kubectlJson(['-n', ns, 'get', 'deployment', NAME]);
}

export async function events(reason: string): Promise<any[]> {
  const list = await kubectlJson(['-n', ns, 'get', 'events.v1.events.k8s.io']);
  return (list.items as any[]).filter((e) => e.regarding?.name === NAME && e.reason === reason);
}

export function samples(): MetricSample[] {
  const history = autoscaler.inspect(`${ns}/${NAME}`)?.history ?? [];
  return history.filter((o): o is MetricSample => o.kind === 'sample');
}

/** waitFor, with what the autoscaler saw and the load's counters in the error when it times out. */
export async function waitForOrDiagnose<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms: number,
): Promise<T> {
  try {
    return await waitFor(what, probe, ms);
  } catch (err) {
    const seen = JSON.stringify(samples().slice(-5));
    const status = JSON.stringify((await getCr(ns, NAME)).status);
    throw new Error(
      `${String(err)}; load ${load.turns} ok / ${load.failures} failed; samples ${seen}; status ${status}`,
    );
  }
}

export async function operatorMetrics(): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${op?.healthPort}/metrics`);
  return parseMetrics(await res.text());
}

/** The environment of operator-scaling.test.ts: call in beforeAll (180 s). */
export async function setupOperatorScaling(): Promise<void> {
  requireKubeconfig();
  await installCrd();
  ns = await createNamespace('cf-autoscale');
  llm = await startFakeLlm();
  const llmUrl = llm.url;
  const env = {
    LLM_ENDPOINT: `${llmUrl}/v1`,
    LLM_TIMEOUT_MS: '10000',
    AUTH_API_KEYS: API_KEY,
    LOG_LEVEL: 'warn',
    MODEL_VERSION: 'v1',
    // The scaling signal is all this test needs: no sessions or events (the testenv exports these).
    REDIS_URL: '',
    REDIS_CLUSTER_NODES: '',
    KAFKA_BROKERS: '',
  };
  bots = await Promise.all([spawnBot(env), spawnBot(env), spawnBot(env)]);
  registry = new Registry();
  autoscaler = new FleetAutoscaler({ metrics: registerAutoscalerMetrics(registry) });
  const component = new AutoscalerComponent({ autoscaler, resolveEndpoints: resolveToBots });
  const { kc } = loadKubeConfig(process.env);
  op = await startOperator({
    config: operatorConfig(ns),
    kc,
    log: pino({ level: process.env.TEST_OPERATOR_LOG ?? 'silent' }),
    registry,
    components: [component],
  });
}

export async function teardownOperatorScaling(): Promise<void> {
  await load.stop();
  await op?.stop();
  await Promise.all(bots.map((b) => b.stop()));
  await llm?.close();
  if (ns) await deleteNamespace(ns);
}
