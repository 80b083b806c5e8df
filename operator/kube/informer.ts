import { ListWatch, Watch } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeClient } from './client.js';
import type { ResourceKind } from './resources.js';
import { resourcePath } from './resources.js';
import { errorMessage, isForbidden } from './errors.js';
import type { KubeObject } from '../workload/types.js';

export interface InformerOptions {
  resource: ResourceKind;
  /** Undefined watches all namespaces. */
  namespace?: string;
  labelSelector?: string;
  /** Called for adds, updates and deletes alike: consumers are level-based. */
  onChange: (obj: KubeObject) => void;
  logger: Logger;
  /** Restart delays after a failed list/watch. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * When RBAC grants no list on the kind (an optional permission, e.g. StatefulSets with
   * rbac.dataPlane=false), start() gives up at once and the cache stays empty and synced: the
   * operator cannot have created such objects. Otherwise Forbidden is retried like any error.
   */
  skipIfForbidden?: boolean;
}

/**
 * A Watch that opens nothing after stop(), and closes a watch that connected after it.
 * ListWatch.stop() aborts only the request it already holds: a start() still listing or connecting
 * opens its watch afterwards, and that open socket kept a stopped operator from exiting.
 */
class StoppableWatch extends Watch {
  constructor(
    kc: KubeConfig,
    private readonly stopped: () => boolean,
  ) {
    super(kc);
  }

  override async watch(...args: Parameters<Watch['watch']>): Promise<AbortController> {
    if (this.stopped()) {
      const never = new AbortController();
      never.abort();
      return never;
    }
    const controller = await super.watch(...args);
    if (this.stopped()) controller.abort();
    return controller;
  }
}

/**
 * A cache of one resource kind fed by list+watch (client-node's ListWatch). ListWatch already
 * relists on 410 Gone and reconnects after watch timeouts; what it does not do is recover from
 * other errors (API server down, 5xx, connection refused): it reports them and stops. This
 * wrapper restarts it with exponential backoff, forever, until stop().
 */
export class Informer {
  private readonly lw: ListWatch<KubernetesObject>;
  private readonly log: Logger;
  private backoffMs: number;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failedSinceStart = false;
  private everSynced = false;
  private forbidden = false;

  constructor(
    kc: KubeConfig,
    private readonly client: KubeClient,
    private readonly opts: InformerOptions,
  ) {
    const { resource, namespace, labelSelector } = opts;
    this.log = opts.logger.child({ informer: resource.kind });
    this.backoffMs = opts.minBackoffMs ?? 1000;
    const listFn = async (): Promise<KubernetesListObject<KubernetesObject>> => {
      const list = await client.list(resource, namespace, { labelSelector });
      return list as unknown as KubernetesListObject<KubernetesObject>;
    };
    const watch = new StoppableWatch(kc, () => this.stopped);
    this.lw = new ListWatch(resourcePath(resource, namespace), watch, listFn, false, labelSelector);
    const notify = (obj: KubernetesObject): void => {
      // The cache holds this very object: dropping managedFields (never read; drift is checked
      // with chatfleet.io/applied-hash) roughly halves the memory of cached pods and children.
      delete (obj.metadata as { managedFields?: unknown } | undefined)?.managedFields;
      opts.onChange(obj as KubeObject);
    };
    this.lw.on('add', notify);
    this.lw.on('update', notify);
    this.lw.on('delete', notify);
    this.lw.on('error', (err: unknown) => this.onError(err));
  }

  /** Resolves after the first successful list (the cache is then complete), retrying until then. */
  async start(): Promise<void> {
    this.stopped = false;
    if (this.opts.skipIfForbidden && (await this.isForbidden())) {
      this.forbidden = true;
      this.everSynced = true;
      return;
    }
    while (!this.stopped) {
      this.failedSinceStart = false;
      await this.lw.start();
      if (!this.failedSinceStart) break;
      await new Promise((r) => setTimeout(r, this.nextBackoff()));
    }
    this.everSynced = !this.stopped;
    this.backoffMs = this.opts.minBackoffMs ?? 1000;
  }

  get synced(): boolean {
    return this.everSynced;
  }

  /** false when RBAC refused the list (skipIfForbidden): the cache is empty, not a view of the cluster. */
  get watching(): boolean {
    return !this.forbidden;
  }

  get(namespace: string, name: string): KubeObject | undefined {
    if (this.forbidden) return undefined;
    return this.lw.get(name, namespace) as KubeObject | undefined;
  }

  list(namespace?: string): KubeObject[] {
    if (this.forbidden) return [];
    return this.lw.list(namespace) as KubeObject[];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.lw.stop();
  }

  /** One list of at most one object: does RBAC refuse this informer? (Other errors: start() retries.) */
  private async isForbidden(): Promise<boolean> {
    const { resource, namespace, labelSelector } = this.opts;
    try {
      await this.client.list(resource, namespace, { labelSelector, limit: 1 });
      return false;
    } catch (err) {
      if (!isForbidden(err)) return false;
      this.log.warn(
        { path: resourcePath(resource, namespace) },
        'may not list this kind (RBAC): its cache stays empty',
      );
      return true;
    }
  }

  private onError(err: unknown): void {
    this.failedSinceStart = true;
    if (this.stopped) return;
    if (!this.everSynced) {
      // start() owns retries until the first sync.
      this.log.warn(
        { err: errorMessage(err), path: resourcePath(this.opts.resource, this.opts.namespace) },
        'initial list failed; retrying',
      );
      return;
    }
    const delay = this.nextBackoff();
    this.log.warn({ err: errorMessage(err), retryInMs: delay }, 'list/watch failed; restarting');
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (this.stopped) return;
      this.failedSinceStart = false;
      this.lw.start().then(
        () => {
          if (!this.failedSinceStart) this.backoffMs = this.opts.minBackoffMs ?? 1000;
        },
        (e: unknown) => this.onError(e),
      );
    }, delay);
  }

  private nextBackoff(): number {
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.maxBackoffMs ?? 30_000);
    return delay;
  }
}
