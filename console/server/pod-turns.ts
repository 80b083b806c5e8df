import type { KubeConfig } from '@kubernetes/client-node';
import { MIB } from '../../operator/autoscaler/sources/bounded-fetch.js';
import { PodOwnership } from '../../operator/autoscaler/sources/pod-ownership.js';
import type { ResourceKind } from '../../operator/kube/resources.js';
import { RUNTIME_PORT } from '../../operator/workload/defaults.js';
import { selectorString } from '../../operator/workload/labels.js';
import type { ChatbotDeployment, KubeObject } from '../../operator/workload/types.js';
import type { Series } from '../shared/model.js';
import { KubeReadError, kubeGet, kubeGetText } from './kube.js';
import { turnCounts, turnRates, type PodCounts } from './turn-rates.js';

/**
 * Without Prometheus, turns/s by source come from the fleet's own pods, read the way the autoscaler
 * reads them (the same parser, the same ownership check: only pods whose ownerReference chain ends
 * at the CR count), but through the API server's pod proxy with the user's kubeconfig, so the
 * console needs no route to pod IPs and sees only what the user's RBAC allows (pods list, pods/proxy
 * get, deployments and replicasets get). Only fleets a detail page asked for in the last minute are
 * read, at most `maxFleets` of them, each bounded in pods, bytes and time.
 */

export interface PodTurnsOptions {
  maxFleets?: number;
  /** A fleet is read while a page asked for its series this recently. */
  activeMs?: number;
  maxPods?: number;
  maxPoints?: number;
  timeoutMs?: number;
  maxBytes?: number;
  now?: () => number;
}

interface FleetTurns {
  askedAt: number;
  last?: { t: number; counts: PodCounts };
  points: { t: number; rates: Map<string, number> | undefined }[];
  note: string;
}

const DEPLOYMENT: Pick<ResourceKind, 'group' | 'plural'> = { group: 'apps', plural: 'deployments' };
const PODS_AT_ONCE = 8;

const isReady = (pod: KubeObject): boolean =>
  ((pod.status as { conditions?: { type?: string; status?: string }[] } | undefined)?.conditions ?? []).some(
    (c) => c.type === 'Ready' && c.status === 'True',
  );

export class PodTurns {
  private readonly fleets = new Map<string, FleetTurns>();
  private readonly ownership: PodOwnership;
  private readonly o: Required<PodTurnsOptions>;
  private sampling = false;

  constructor(
    private readonly kc: KubeConfig,
    opts: PodTurnsOptions = {},
  ) {
    this.o = {
      maxFleets: 4,
      activeMs: 60_000,
      maxPods: 32,
      maxPoints: 360,
      timeoutMs: 3000,
      maxBytes: 4 * MIB,
      now: Date.now,
      ...opts,
    };
    this.ownership = new PodOwnership({
      get: async (r, namespace, name) =>
        this.getOrUndefined(`/apis/${r.group}/${r.version}/namespaces/${namespace}/${r.plural}/${name}`),
    });
  }

  /** A page asked for this fleet's series: read it from now on; the least recently asked gives way. */
  touch(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const known = this.fleets.get(key);
    if (known) {
      known.askedAt = this.o.now();
      return;
    }
    if (this.fleets.size >= this.o.maxFleets) {
      const oldest = [...this.fleets.entries()].sort((a, b) => a[1].askedAt - b[1].askedAt)[0];
      if (oldest) this.fleets.delete(oldest[0]);
    }
    this.fleets.set(key, { askedAt: this.o.now(), points: [], note: 'first reading of the pods pending' });
  }

  /** Reads every fleet asked for recently (`fleetOf` gives its CR, undefined when gone); one round at a time. */
  async sample(fleetOf: (namespace: string, name: string) => unknown): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      for (const [key, f] of [...this.fleets]) {
        const [namespace = '', name = ''] = key.split('/');
        const cbd = fleetOf(namespace, name) as ChatbotDeployment | undefined;
        if (!cbd || this.o.now() - f.askedAt > this.o.activeMs) this.fleets.delete(key);
        else await this.sampleFleet(f, cbd);
      }
    } finally {
      this.sampling = false;
    }
  }

  series(namespace: string, name: string): { turns: Series[]; turnsNote: string } {
    const f = this.fleets.get(`${namespace}/${name}`);
    if (!f) return { turns: [], turnsNote: 'not read yet' };
    const sources = [...new Set(f.points.flatMap((p) => [...(p.rates?.keys() ?? [])]))].sort();
    return {
      turns: sources.map((label) => ({
        label,
        points: f.points.map((p): [number, number | null] => [
          p.t,
          p.rates ? (p.rates.get(label) ?? 0) : null,
        ]),
      })),
      turnsNote: f.note,
    };
  }

  private async sampleFleet(f: FleetTurns, cbd: ChatbotDeployment): Promise<void> {
    const t = this.o.now();
    let counts: PodCounts = new Map();
    try {
      const read = await this.readPods(cbd);
      counts = read.counts;
      f.note = `from ${read.read} of ${read.pods} ready pods' /metrics, through the API server`;
    } catch (err) {
      f.note = `the pods could not be read: ${err instanceof Error ? err.message : String(err)}`.slice(
        0,
        300,
      );
    }
    const rates = f.last ? turnRates(f.last.counts, counts, (t - f.last.t) / 1000) : undefined;
    if (f.last) f.points.push({ t: Math.floor(t / 1000), rates });
    if (f.points.length > this.o.maxPoints) f.points.splice(0, f.points.length - this.o.maxPoints);
    f.last = { t, counts };
  }

  /** Counts of the fleet's ready pods that the CR controls; a pod that fails to answer is left out. */
  private async readPods(cbd: ChatbotDeployment): Promise<{ counts: PodCounts; pods: number; read: number }> {
    const namespace = cbd.metadata.namespace ?? '';
    const name = cbd.metadata.name ?? '';
    const deployment = (n: string): Promise<KubeObject | undefined> =>
      this.getOrUndefined(`/apis/${DEPLOYMENT.group}/v1/namespaces/${namespace}/${DEPLOYMENT.plural}/${n}`);
    const query = new URLSearchParams({ labelSelector: selectorString(cbd), limit: String(this.o.maxPods) });
    const [stable, canary, list] = await Promise.all([
      deployment(name),
      deployment(`${name}-canary`),
      kubeGet(this.kc, `/api/v1/namespaces/${namespace}/pods?${query.toString()}`) as Promise<{
        items?: KubeObject[];
      }>,
    ]);
    const ready = (list.items ?? []).filter(isReady);
    const pods = await this.ownership.controlled(cbd, [stable, canary], ready);
    const counts: PodCounts = new Map();
    for (let i = 0; i < pods.length; i += PODS_AT_ONCE) {
      await Promise.all(
        pods.slice(i, i + PODS_AT_ONCE).map(async (pod) => {
          const uid = pod.metadata.uid ?? '';
          const podName = encodeURIComponent(pod.metadata.name ?? '');
          const path = `/api/v1/namespaces/${namespace}/pods/${podName}:${RUNTIME_PORT}/proxy/metrics`;
          const text = await kubeGetText(this.kc, path, {
            timeoutMs: this.o.timeoutMs,
            maxBytes: this.o.maxBytes,
          }).catch(() => undefined);
          if (text !== undefined && uid) counts.set(uid, turnCounts(text));
        }),
      );
    }
    return { counts, pods: ready.length, read: counts.size };
  }

  private async getOrUndefined(path: string): Promise<KubeObject | undefined> {
    try {
      return (await kubeGet(this.kc, path)) as KubeObject;
    } catch (err) {
      if (err instanceof KubeReadError && err.status === 404) return undefined;
      throw err;
    }
  }
}
