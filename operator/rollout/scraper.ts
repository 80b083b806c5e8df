import { performance } from 'node:perf_hooks';
import { BOT_METRICS_PORT, isReadyPod } from '../autoscaler/component.js';
import { MIB, fetchBounded } from '../autoscaler/sources/bounded-fetch.js';
import type { FetchText } from '../autoscaler/sources/bounded-fetch.js';
import { trackOf } from '../workload/tracks.js';
import type { ChatbotDeployment, KubeObject } from '../workload/types.js';
import type { AnalysisSample } from './core/types.js';
import { advanceWindow, minGeneration, parsePodMetrics } from './metrics-window.js';
import type { PodScrape, WindowState } from './metrics-window.js';

/**
 * Reads every bot pod's /metrics during a rollout (both tracks), with the autoscaler's bounded fetch
 * (byte and time limits, no redirects: the image is the tenant's). A pod that cannot be read is "no
 * data": it makes the routing generation unknown and adds nothing to the analysis sample, which the core
 * treats as Inconclusive (never a pass). kwok pods have no process behind their IPs, so on the test
 * environment every check is Inconclusive unless a test maps pods to loopback servers (`endpoint`).
 */

/** Base URL of a pod's runtime (`/metrics` is appended); undefined = not scrapeable. Tests map kwok pods onto loopback. */
export type PodEndpoint = (pod: KubeObject, cbd: ChatbotDeployment) => string | undefined;

export const podIpEndpoint: PodEndpoint = (pod) => {
  const ip = (pod.status as { podIP?: string } | undefined)?.podIP;
  if (typeof ip !== 'string' || ip === '') return undefined;
  return `http://${ip.includes(':') ? `[${ip}]` : ip}:${BOT_METRICS_PORT}`;
};

export interface ScrapeResult {
  at: number;
  minRoutingGeneration: number | undefined;
  analysis: AnalysisSample | undefined;
  podsRead: number;
  podsTotal: number;
}

export interface RolloutScraperOptions {
  endpoint?: PodEndpoint;
  fetchText?: FetchText;
  timeoutMs?: number;
  maxBytes?: number;
  /** Pods read at once per fleet. */
  maxConcurrent?: number;
  /** No batch starts after this long (ms, default 10 s): pods left are no data, as for the autoscaler. */
  fleetTimeoutMs?: number;
  /** Reconciles closer together than this reuse the last result (a burst of events is one scrape). */
  minGapMs?: number;
}

interface FleetScrapes {
  window?: WindowState;
  last?: ScrapeResult;
  lastWindowKey?: string;
}

export class RolloutScraper {
  private readonly fleets = new Map<string, FleetScrapes>();
  private readonly endpoint: PodEndpoint;
  private readonly fetchText: FetchText;

  constructor(private readonly o: RolloutScraperOptions = {}) {
    this.endpoint = o.endpoint ?? podIpEndpoint;
    this.fetchText = o.fetchText ?? fetchBounded;
  }

  forget(key: string): void {
    this.fleets.delete(key);
  }

  /** One round over the fleet's ready pods, folded into the analysis window `window` (if any). */
  async scrape(
    key: string,
    cbd: ChatbotDeployment,
    pods: KubeObject[],
    window: string | undefined,
    now: Date,
    signal?: AbortSignal,
  ): Promise<ScrapeResult> {
    const fleet = this.fleets.get(key) ?? {};
    this.fleets.set(key, fleet);
    const fresh = fleet.last && now.getTime() - fleet.last.at < (this.o.minGapMs ?? 1000);
    if (fresh && fleet.lastWindowKey === window) return fleet.last!;
    const ready = pods.filter(isReadyPod);
    const round = await this.readAll(cbd, ready, signal);
    let analysis: AnalysisSample | undefined;
    if (window !== undefined) {
      const next = advanceWindow(fleet.window, window, round, now.toISOString());
      fleet.window = next.state;
      analysis = next.sample;
    } else {
      delete fleet.window;
    }
    const result: ScrapeResult = {
      at: now.getTime(),
      minRoutingGeneration: minGeneration(round),
      analysis,
      podsRead: round.filter((p) => p.metrics !== undefined).length,
      podsTotal: round.length,
    };
    fleet.last = result;
    if (window === undefined) delete fleet.lastWindowKey;
    else fleet.lastWindowKey = window;
    return result;
  }

  private async readAll(
    cbd: ChatbotDeployment,
    pods: KubeObject[],
    signal?: AbortSignal,
  ): Promise<PodScrape[]> {
    const out: PodScrape[] = [];
    const limit = Math.max(1, this.o.maxConcurrent ?? 8);
    // The tenant picks the pod count: without a fleet bound, n pods cost n/8 x timeoutMs of a worker.
    const deadline = performance.now() + (this.o.fleetTimeoutMs ?? 10_000);
    for (let i = 0; i < pods.length; i += limit) {
      const batch = pods.slice(i, i + limit);
      const late = performance.now() >= deadline;
      out.push(...(await Promise.all(batch.map((p) => (late ? unread(p) : this.readOne(cbd, p, signal))))));
    }
    return out;
  }

  private async readOne(cbd: ChatbotDeployment, pod: KubeObject, signal?: AbortSignal): Promise<PodScrape> {
    const base = podKey(pod);
    const url = this.endpoint(pod, cbd);
    if (!url) return { ...base, metrics: undefined };
    try {
      const text = await this.fetchText(`${url.replace(/\/+$/, '')}/metrics`, {
        timeoutMs: this.o.timeoutMs ?? 2000,
        maxBytes: this.o.maxBytes ?? 4 * MIB,
        signal,
      });
      return { ...base, metrics: parsePodMetrics(text) };
    } catch {
      return { ...base, metrics: undefined };
    }
  }
}

function podKey(pod: KubeObject): Pick<PodScrape, 'pod' | 'track'> {
  return { pod: `${pod.metadata.name ?? ''}/${pod.metadata.uid ?? ''}`, track: trackOf(pod) };
}

/** A pod the fleet bound left unread: no data, like one that did not answer. */
function unread(pod: KubeObject): Promise<PodScrape> {
  return Promise.resolve({ ...podKey(pod), metrics: undefined });
}
