import { CoreV1Api, KubeConfig, Watch, type V1ConfigMap } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { RoutingInput } from './routing-state.js';

export const ROUTING_KEY = 'routing.json';

export interface ConfigMapSourceOptions {
  name: string;
  namespace: string;
  /** Path of a kubeconfig (tests, local runs); undefined: the pod's in-cluster service account. */
  kubeconfig: string | undefined;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Bound of the list request. */
  requestTimeoutMs?: number;
}

type WatchEvent = { type?: string; object?: V1ConfigMap & { code?: number } };

/**
 * Watches ONE ConfigMap: list with fieldSelector metadata.name=<name> (so a Role limited by
 * resourceNames allows it), then watch from the list's resourceVersion. A watch the server ends
 * (timeoutSeconds) is resumed from the last resourceVersion; 410 Gone or any error relists after
 * a bounded exponential backoff. The source only reports what it sees; RoutingState keeps the
 * last good routing while the object is missing or invalid.
 */
export class ConfigMapRoutingSource {
  private readonly kc = new KubeConfig();
  private readonly api: CoreV1Api;
  private readonly path: string;
  private readonly fieldSelector: string;
  private watch: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private backoffMs: number;
  private resourceVersion: string | undefined;

  constructor(
    private readonly opts: ConfigMapSourceOptions,
    private readonly offer: (input: RoutingInput) => void,
    private readonly log: Logger,
  ) {
    if (opts.kubeconfig) this.kc.loadFromFile(opts.kubeconfig);
    else this.kc.loadFromCluster();
    this.api = this.kc.makeApiClient(CoreV1Api);
    this.path = `/api/v1/namespaces/${encodeURIComponent(opts.namespace)}/configmaps`;
    this.fieldSelector = `metadata.name=${opts.name}`;
    this.backoffMs = opts.minBackoffMs ?? 250;
  }

  /** Lists once (errors are retried in the background); resolves when the first list settled. */
  async start(): Promise<void> {
    await this.relist();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.watch?.abort();
  }

  private async relist(): Promise<void> {
    if (this.stopped) return;
    try {
      const list = await withTimeout(
        this.api.listNamespacedConfigMap({
          namespace: this.opts.namespace,
          fieldSelector: this.fieldSelector,
        }),
        this.opts.requestTimeoutMs ?? 5000,
      );
      this.report(list.items.find((cm) => cm.metadata?.name === this.opts.name));
      this.resourceVersion = list.metadata?.resourceVersion;
      this.backoffMs = this.opts.minBackoffMs ?? 250;
      await this.startWatch();
    } catch (err) {
      this.retry(err);
    }
  }

  private async startWatch(): Promise<void> {
    if (this.stopped) return;
    const query = {
      fieldSelector: this.fieldSelector,
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: true,
      // below client-node's 30 s inactivity timeout; spread so pods do not reconnect together
      timeoutSeconds: 20 + Math.floor(Math.random() * 5),
    };
    let gone = false;
    this.watch = await new Watch(this.kc).watch(
      this.path,
      query,
      (type: string, obj: WatchEvent['object']) => {
        gone = this.onEvent({ type, object: obj }) || gone;
      },
      (err: unknown) => {
        this.watch = undefined;
        if (this.stopped) return;
        if (err || gone) this.retry(err ?? new Error('watch expired (410 Gone)'), gone);
        else void this.startWatch().catch((e: unknown) => this.retry(e));
      },
    );
    if (this.stopped) this.watch?.abort();
  }

  /** Returns true when the watch must relist (410 Gone). */
  private onEvent(ev: WatchEvent): boolean {
    const rv = ev.object?.metadata?.resourceVersion;
    if (ev.type === 'ERROR') return ev.object?.code === 410;
    if (rv) this.resourceVersion = rv;
    if (ev.type === 'ADDED' || ev.type === 'MODIFIED') this.report(ev.object);
    else if (ev.type === 'DELETED') this.report(undefined);
    return false;
  }

  private report(cm: V1ConfigMap | undefined): void {
    const text = cm?.data?.[ROUTING_KEY];
    this.offer(text === undefined ? { kind: 'missing' } : { kind: 'text', text });
  }

  private retry(err: unknown, gone = false): void {
    if (this.stopped) return;
    const delay = gone ? 0 : this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.maxBackoffMs ?? 5000);
    if (!gone) {
      this.offer({ kind: 'error', err });
      this.log.debug({ retryInMs: delay }, 'routing watch restarting');
    }
    clearTimeout(this.timer);
    this.resourceVersion = undefined;
    this.timer = setTimeout(() => void this.relist(), delay);
    this.timer.unref();
  }
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_r, reject) => {
    timer = setTimeout(() => reject(new Error(`list timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
