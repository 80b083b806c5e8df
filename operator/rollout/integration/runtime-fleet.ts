// Real bot runtimes standing behind kwok pods, for rollout tests decided on real data: per track a few
// runtimes (in-process, loopback, the test environment's Redis) that watch the fleet's routing ConfigMap
// through the real API server; each kwok pod is mapped onto a free runtime of its track, so the operator
// scrapes one real runtime per pod. Traffic enters through the stable runtimes, as the fleet Service
// would spread it, and the runtimes forward pinned turns to the other track's first runtime.
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { freePort } from '../../../bot-runtime/integration/support/child.js';
import {
  metricValue as runtimeMetric,
  postChat,
  startRuntime,
} from '../../../bot-runtime/integration/support/runtime.js';
import type { Runtime } from '../../../bot-runtime/integration/support/runtime.js';
import { kubectlJson, requireKubeconfig } from '../../integration/support.js';
import { trackOf } from '../../workload/tracks.js';
import type { Track } from '../../workload/tracks.js';
import type { KubeObject } from '../../workload/types.js';

export class RuntimeFleet {
  readonly runtimes: Record<Track, Runtime[]> = { stable: [], canary: [] };
  private readonly assigned = new Map<string, { track: Track; index: number }>();
  readonly started: { sessionId: string; modelVersion: string }[] = [];
  private traffic = false;
  private load: Promise<void> | undefined;

  constructor(
    readonly ns: string,
    readonly name: string,
  ) {}

  /** `perTrack` runtimes per track; `canaryEnv` makes the canary differ (a bad bundle, say). */
  async start(perTrack: number, canaryEnv: Record<string, string> = {}): Promise<void> {
    const ports: Record<Track, number[]> = { stable: [], canary: [] };
    for (const t of ['stable', 'canary'] as const)
      for (let i = 0; i < perTrack; i++) ports[t].push(await freePort());
    const common = {
      REDIS_URL: process.env.REDIS_URL ?? '',
      REDIS_CLUSTER_NODES: '',
      KUBECONFIG: requireKubeconfig(),
      CHATFLEET_ROUTING_CONFIGMAP: `${this.name}-routing`,
      POD_NAMESPACE: this.ns,
      CHATFLEET_STABLE_URL: `http://127.0.0.1:${ports.stable[0]}`,
      CHATFLEET_CANARY_URL: `http://127.0.0.1:${ports.canary[0]}`,
      RATE_LIMIT_PER_MINUTE: '0',
    };
    for (const track of ['stable', 'canary'] as const) {
      for (const port of ports[track]) {
        const env = { ...common, CHATFLEET_TRACK: track, MODEL_VERSION: track === 'stable' ? 'v1' : 'v2' };
        this.runtimes[track].push(
          await startRuntime(track === 'canary' ? { ...env, ...canaryEnv } : env, { port }),
        );
      }
    }
  }

  async close(): Promise<void> {
    await this.stopTraffic();
    for (const r of [...this.runtimes.stable, ...this.runtimes.canary]) await r.close();
  }

  /** The scraper's endpoint: a kwok pod -> a free runtime of its track (undefined: more pods than runtimes). */
  endpoint = (pod: KubeObject): string | undefined => {
    const track = trackOf(pod);
    const name = pod.metadata.name ?? '';
    let slot = this.assigned.get(name);
    if (!slot) {
      const taken = new Set([...this.assigned.values()].filter((a) => a.track === track).map((a) => a.index));
      const index = this.runtimes[track].findIndex((_, i) => !taken.has(i));
      if (index === -1) return undefined;
      slot = { track, index };
      this.assigned.set(name, slot);
    }
    return this.runtimes[track][slot.index]?.url;
  };

  /** Forget pods that are gone, so their runtimes serve the next pods (a rolling update replaces them). */
  async prune(): Promise<void> {
    const pods = await kubectlJson<{ items: KubeObject[] }>(['-n', this.ns, 'get', 'pods']);
    const live = new Set(pods.items.map((p) => p.metadata.name));
    for (const name of this.assigned.keys()) if (!live.has(name)) this.assigned.delete(name);
  }

  /**
   * New conversations of `turns` turns each, entering on the stable runtimes in turn, until stopped. Every
   * message is distinct (a number appended), so no turn is an answer-cache hit and each one is classified.
   */
  startTraffic(turns = 3): void {
    this.traffic = true;
    this.load = (async () => {
      const entries = this.runtimes.stable;
      for (let i = 0; this.traffic; i++) {
        const first = await postChat(entries[i % entries.length]!.url, {
          message: `where is my order ${i}`,
        }).catch(() => undefined);
        const sessionId = first?.body.sessionId as string | undefined;
        if (!sessionId) {
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        this.started.push({ sessionId, modelVersion: String(first?.body.modelVersion) });
        for (let t = 1; t < turns && this.traffic; t++) {
          const entry = entries[(i + t) % entries.length]!;
          await postChat(entry.url, { message: `has my package shipped ${i}-${t}`, sessionId }).catch(
            () => undefined,
          );
        }
      }
    })();
  }

  async stopTraffic(): Promise<void> {
    this.traffic = false;
    await this.load;
  }

  /** Percent of the conversations started so far that started on the canary (v2). */
  canaryShare(): number {
    return (
      (100 * this.started.filter((s) => s.modelVersion === 'v2').length) / Math.max(1, this.started.length)
    );
  }

  /** Samples the routing ConfigMap and every runtime's generation every 50 ms; stop() gives the delays. */
  sampleDelivery(): { stop: () => Promise<number[]> } {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    const api = kc.makeApiClient(CoreV1Api);
    const written = new Map<number, number>();
    const delivered = new Map<number, number>();
    let running = true;
    const loop = (async (): Promise<void> => {
      while (running) {
        const cm = await api
          .readNamespacedConfigMap({ name: `${this.name}-routing`, namespace: this.ns })
          .catch(() => undefined);
        const g = (JSON.parse(cm?.data?.['routing.json'] ?? '{}') as { generation?: number }).generation;
        if (g !== undefined && !written.has(g)) written.set(g, Date.now());
        const all = [...this.runtimes.stable, ...this.runtimes.canary];
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
}
