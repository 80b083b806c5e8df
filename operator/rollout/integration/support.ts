// Helpers of the rollout integration tests: the operator in-process with only the rollout component
// (real API server, kwok pods), and a loopback stand-in for the bot pods' /metrics.
//
// kwok pods run no process and their IPs are fake (the network rule forbids sending to them), so the
// scraper's endpoint maps each pod to this loopback server. Per fleet it either answers like a runtime
// that applied the current routing object and served no turns (`reporting`), or fails like an unreachable
// pod (`unreachable`, HTTP 503). Either way there is no traffic: every analysis check is Inconclusive.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import type { KubeClient } from '../../kube/client.js';
import { startInProcess } from '../../integration/support.js';
import type { InProcessOperator } from '../../integration/support.js';
import { RolloutComponent } from '../component.js';
import { RolloutScraper } from '../scraper.js';

export type PodMode = 'reporting' | 'unreachable';

export class FakePods {
  readonly modes = new Map<string, PodMode>();
  private readonly core: CoreV1Api;
  private readonly cache = new Map<string, { at: number; generation: number }>();
  private server: Server | undefined;
  port = 0;

  constructor() {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.answer(req.url ?? '').then(
        (text) => {
          res.writeHead(text === undefined ? 503 : 200, { 'content-type': 'text/plain' });
          res.end(text ?? 'unreachable');
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  stop(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  endpoint = (
    pod: { metadata: { name?: string; namespace?: string } },
    cbd: { metadata: { name?: string } },
  ): string =>
    `http://127.0.0.1:${this.port}/pods/${pod.metadata.namespace ?? ''}/${cbd.metadata.name ?? ''}/${pod.metadata.name ?? ''}`;

  private async answer(url: string): Promise<string | undefined> {
    const [, , ns = '', fleet = ''] = url.split('/');
    if ((this.modes.get(`${ns}/${fleet}`) ?? 'reporting') === 'unreachable') return undefined;
    const generation = await this.generation(ns, fleet);
    return [
      '# TYPE chatfleet_rollout_generation gauge',
      `chatfleet_rollout_generation ${generation}`,
      'chatfleet_turns_inflight 0',
      '',
    ].join('\n');
  }

  /** The generation of `<fleet>-routing` as a runtime watching it would have applied it (-1: none). */
  private async generation(ns: string, fleet: string): Promise<number> {
    const key = `${ns}/${fleet}`;
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < 250) return hit.generation;
    let generation = -1;
    try {
      const cm = await this.core.readNamespacedConfigMap({ name: `${fleet}-routing`, namespace: ns });
      generation =
        (JSON.parse(cm.data?.['routing.json'] ?? '{}') as { generation?: number }).generation ?? -1;
    } catch {
      generation = -1;
    }
    this.cache.set(key, { at: Date.now(), generation });
    return generation;
  }
}

export interface RolloutOperator extends InProcessOperator {
  rolloutRegistry: Registry;
}

/** The operator with only the rollout component (no autoscaler: replicas = minReplicas). */
export async function startRolloutOperator(ns: string, pods: FakePods): Promise<RolloutOperator> {
  const rolloutRegistry = new Registry();
  const op = await startInProcess(ns, {}, [
    (client: KubeClient) =>
      new RolloutComponent({
        client,
        registry: rolloutRegistry,
        scraper: new RolloutScraper({ endpoint: pods.endpoint, minGapMs: 200, timeoutMs: 1000 }),
      }),
  ]);
  return { ...op, rolloutRegistry };
}
