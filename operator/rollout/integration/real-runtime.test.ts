/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return --
   These tests inspect raw Kubernetes JSON (kubectl -o json); typing every field would add nothing. */
// A whole canary rollout decided on real data: the operator (real API server, kwok pods) reads the
// /metrics of real bot runtimes on loopback, one per kwok pod, that watch the fleet's routing ConfigMap
// through the API server and share the test environment's Redis. Traffic from the test enters through the
// stable runtimes (as the fleet Service would spread it); new conversations go to the canary by weight and
// are forwarded there. An equal version (A/A) is promoted through every step. This stands in for the
// real-node e2e where kwok cannot run code; it measures how fast a weight reaches every runtime.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { freePort } from '../../../bot-runtime/integration/support/child.js';
import {
  metricValue as runtimeMetric,
  postChat,
  startRuntime,
} from '../../../bot-runtime/integration/support/runtime.js';
import type { Runtime } from '../../../bot-runtime/integration/support/runtime.js';
import type { KubeClient } from '../../kube/client.js';
import {
  applyCr,
  createNamespace,
  deleteNamespace,
  getCr,
  installCrd,
  kubectlJson,
  requireKubeconfig,
  startInProcess,
  waitFor,
  waitReady,
} from '../../integration/support.js';
import type { InProcessOperator } from '../../integration/support.js';
import { trackOf } from '../../workload/tracks.js';
import type { KubeObject } from '../../workload/types.js';
import { RolloutComponent } from '../component.js';
import { RolloutScraper } from '../scraper.js';

const NAME = 'aa';
const SPEC = {
  scaling: { minReplicas: 2, maxReplicas: 2 },
  rollout: {
    steps: [{ setWeight: 20 }, { analysis: {} }, { setWeight: 50 }, { analysis: {} }],
    // A/A: both tracks run the same runtime; the bounds only have to hold against the judge's statistics.
    analysis: {
      intervalSeconds: 5,
      minTurns: 10,
      maxErrorRate: 0.5,
      maxFallbackRate: 1,
      failureThreshold: 3,
    },
    progressDeadlineSeconds: 120,
  },
};

let ns: string;
let operator: InProcessOperator;
const runtimes: Record<'stable' | 'canary', Runtime[]> = { stable: [], canary: [] };
/** kwok pod name -> runtime of its track (pods are mapped onto free runtimes as they appear). */
const assigned = new Map<string, { track: 'stable' | 'canary'; index: number }>();

function endpoint(pod: KubeObject): string | undefined {
  const track = trackOf(pod);
  const name = pod.metadata.name ?? '';
  let slot = assigned.get(name);
  if (!slot) {
    const taken = new Set([...assigned.values()].filter((a) => a.track === track).map((a) => a.index));
    const index = runtimes[track].findIndex((_, i) => !taken.has(i));
    if (index === -1) return undefined; // more pods than runtimes: this one is unreadable
    slot = { track, index };
    assigned.set(name, slot);
  }
  return runtimes[track][slot.index]?.url;
}

/** Forget pods that are gone, so their runtimes serve the next pods (a rolling update replaces them). */
async function pruneAssignments(): Promise<void> {
  const pods = await kubectlJson<{ items: KubeObject[] }>(['-n', ns, 'get', 'pods']);
  const live = new Set(pods.items.map((p) => p.metadata.name));
  for (const name of assigned.keys()) if (!live.has(name)) assigned.delete(name);
}

async function startRuntimes(): Promise<void> {
  const ports = {
    stable: [await freePort(), await freePort()],
    canary: [await freePort(), await freePort()],
  };
  const common = {
    REDIS_URL: process.env.REDIS_URL ?? '',
    REDIS_CLUSTER_NODES: '',
    KUBECONFIG: requireKubeconfig(),
    CHATFLEET_ROUTING_CONFIGMAP: `${NAME}-routing`,
    POD_NAMESPACE: ns,
    CHATFLEET_STABLE_URL: `http://127.0.0.1:${ports.stable[0]}`,
    CHATFLEET_CANARY_URL: `http://127.0.0.1:${ports.canary[0]}`,
    RATE_LIMIT_PER_MINUTE: '0',
  };
  for (const track of ['stable', 'canary'] as const) {
    for (const port of ports[track]) {
      runtimes[track].push(
        await startRuntime(
          { ...common, CHATFLEET_TRACK: track, MODEL_VERSION: track === 'stable' ? 'v1' : 'v2' },
          { port },
        ),
      );
    }
  }
}

/** Times, per routing generation, from its first sight in the ConfigMap to every runtime reporting it. */
function sampleDelivery(): { stop: () => Promise<number[]> } {
  const core = new KubeConfig();
  core.loadFromDefault();
  const api = core.makeApiClient(CoreV1Api);
  const written = new Map<number, number>();
  const delivered = new Map<number, number>();
  let running = true;
  const loop = (async (): Promise<void> => {
    while (running) {
      const cm = await api
        .readNamespacedConfigMap({ name: `${NAME}-routing`, namespace: ns })
        .catch(() => undefined);
      const g = (JSON.parse(cm?.data?.['routing.json'] ?? '{}') as { generation?: number }).generation;
      if (g !== undefined && !written.has(g)) written.set(g, Date.now());
      const all = [...runtimes.stable, ...runtimes.canary];
      const seen = await Promise.all(
        all.map((rt) => runtimeMetric(rt.registry, 'chatfleet_rollout_generation')),
      );
      const min = Math.min(...seen);
      for (const [gen] of written) if (min >= gen && !delivered.has(gen)) delivered.set(gen, Date.now());
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return [...written]
        .filter(([gen]) => gen > 1)
        .map(([gen, at]) => (delivered.get(gen) ?? Infinity) - at);
    },
  };
}

let traffic = true;
const started: { sessionId: string; modelVersion: string }[] = [];

/** New conversations of 3 turns each, entering on the stable runtimes in turn. */
async function sendTraffic(): Promise<void> {
  for (let i = 0; traffic; i++) {
    const entry = runtimes.stable[i % runtimes.stable.length]!;
    const first = await postChat(entry.url, { message: 'how do I reset my password?' }).catch(
      () => undefined,
    );
    const sessionId = first?.body.sessionId as string | undefined;
    if (!sessionId) {
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    started.push({ sessionId, modelVersion: String(first?.body.modelVersion) });
    for (let t = 0; t < 2 && traffic; t++) {
      const other = runtimes.stable[(i + t + 1) % runtimes.stable.length]!;
      await postChat(other.url, { message: 'and my username?', sessionId }).catch(() => undefined);
    }
  }
}

beforeAll(async () => {
  if (!process.env.REDIS_URL) throw new Error('REDIS_URL is not set: source .testenv/env');
  await installCrd();
  ns = await createNamespace('ro-real');
  await startRuntimes();
  const registry = new Registry();
  operator = await startInProcess(ns, {}, [
    (client: KubeClient) =>
      new RolloutComponent({
        client,
        registry,
        scraper: new RolloutScraper({ endpoint, minGapMs: 200 }),
      }),
  ]);
}, 120_000);

afterAll(async () => {
  traffic = false;
  await operator?.stop();
  for (const r of [...runtimes.stable, ...runtimes.canary]) await r.close();
  if (ns) await deleteNamespace(ns);
});

describe('an equal version (A/A) with real runtimes behind kwok pods', () => {
  it('reaches every runtime within 5 s per weight change and is promoted through every step', async () => {
    await applyCr(ns, NAME, { ...SPEC, model: { name: 'support-bot', version: 'v1' } });
    await waitReady(ns, NAME);
    await waitFor('Idle', async () => (await getCr(ns, NAME)).status?.rollout?.phase === 'Idle');
    const load = sendTraffic();
    await applyCr(ns, NAME, { ...SPEC, model: { name: 'support-bot', version: 'v2' } });

    // Every routing generation the operator writes reaches every runtime: sample the ConfigMap and the
    // runtimes' chatfleet_rollout_generation every 50 ms and time each generation from one to the other.
    const delivery = sampleDelivery();
    const promoted = await waitFor(
      'Promoted',
      async () => {
        await pruneAssignments();
        const r = (await getCr(ns, NAME)).status?.rollout;
        return r?.phase === 'Promoted' ? r : undefined;
      },
      240_000,
    );
    const delays = await delivery.stop();
    traffic = false;
    await load;
    console.log(
      `A/A rollout promoted; routing generation ConfigMap -> every runtime (ms, 50 ms sampling): ${delays.join(', ')}; ` +
        `${started.length} new conversations, canary share ${((100 * started.filter((s) => s.modelVersion === 'v2').length) / Math.max(1, started.length)).toFixed(1)} % over the whole run`,
    );
    expect(promoted).toMatchObject({ stableVersion: 'v2', failedChecks: 0 });
    expect(delays.length).toBeGreaterThanOrEqual(3); // canary announced, 20 %, 50 %, promotion
    expect(Math.max(...delays)).toBeLessThanOrEqual(5000);
    expect(started.some((s) => s.modelVersion === 'v2')).toBe(true);
    const stable = await kubectlJson(['-n', ns, 'get', 'deployment', NAME]);
    expect(stable.spec.template.metadata.labels['chatfleet.io/model-version']).toBe('v2');
  }, 300_000);
});
