import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { OperatorConfig } from '../config.js';
import { watchedNamespaces } from '../config.js';
import { createOperatorMetrics } from '../metrics.js';
import type { OperatorMetrics } from '../metrics.js';
import { KubeClient } from '../kube/client.js';
import { errorMessage } from '../kube/errors.js';
import { KubeEventRecorder } from '../kube/events.js';
import { Informer } from '../kube/informer.js';
import { NamespacedCaches } from '../kube/namespaced-caches.js';
import type { WatchedCache } from '../kube/namespaced-caches.js';
import { LeaderElector, endsWithTerm } from '../kube/leader-election.js';
import { Resources } from '../kube/resources.js';
import type { ResourceKind } from '../kube/resources.js';
import { Liveness } from '../health/liveness.js';
import { startHealthServer } from '../health/server.js';
import type { HealthServer } from '../health/server.js';
import { FIELD_MANAGER, LABEL_INSTANCE, LABEL_MANAGED_BY } from '../workload/labels.js';
import type { KubeObject } from '../workload/types.js';
import { KIND } from '../workload/types.js';
import { systemClock } from './clock.js';
import { fleetKey } from './fleet-key.js';
import type { ComponentCaches, FleetComponent } from './component.js';
import { Controller } from './controller.js';
import { FleetReconciler } from './reconciler.js';
import type { FleetCaches } from './reconciler.js';
import { WorkQueue } from './work-queue.js';

export interface OperatorDeps {
  config: OperatorConfig;
  kc: KubeConfig;
  log: Logger;
  registry: Registry;
  /**
   * Extension components (data plane, autoscaler), run in this order on every reconcile. A
   * factory receives the operator's own client, so the component's requests are counted in
   * chatfleet_operator_kube_{writes,reads}_total like the core's, and the informer caches, so it
   * reads its children from them instead of a GET per reconcile.
   */
  components?: ComponentSource[];
}

export type ComponentSource =
  FleetComponent | ((client: KubeClient, caches: ComponentCaches) => FleetComponent);

export type ExitReason = 'stopped' | 'lost-leadership';

export interface RunningOperator {
  healthPort: number;
  metrics: OperatorMetrics;
  isLeader(): boolean;
  /** Resolves when the operator ended on its own (lost leadership) or through stop(). */
  done: Promise<ExitReason>;
  stop(): Promise<void>;
}

const CONTROLLER = 'chatbotdeployment';
const MANAGED = `${LABEL_MANAGED_BY}=${FIELD_MANAGER}`;

/** Owner key of a child: its controller ownerReference to a ChatbotDeployment, or for pods the instance label. */
export function ownerKey(obj: KubeObject): string | undefined {
  const ns = obj.metadata.namespace ?? '';
  const ref = obj.metadata.ownerReferences?.find((r) => r.controller && r.kind === KIND);
  if (ref) return `${ns}/${ref.name}`;
  const instance = obj.metadata.labels?.[LABEL_INSTANCE];
  return instance ? `${ns}/${instance}` : undefined;
}

type MakeCache = (
  resource: ResourceKind,
  selector: string | undefined,
  toKey: (o: KubeObject) => string | undefined,
  skipIfForbidden?: boolean,
) => WatchedCache;

/**
 * Builds the informer caches of one kind: one informer for all namespaces ([]), or one per watched
 * namespace behind NamespacedCaches (RBAC then grants list/watch only in those namespaces).
 */
function cacheFactory(d: {
  kc: KubeConfig;
  client: KubeClient;
  log: Logger;
  namespaces: string[];
  enqueue: (key: string | undefined) => void;
  informers: Informer[];
}): MakeCache {
  const informer = (
    resource: ResourceKind,
    namespace: string | undefined,
    selector: string | undefined,
    toKey: (o: KubeObject) => string | undefined,
    skipIfForbidden: boolean,
  ): Informer => {
    const inf = new Informer(d.kc, d.client, {
      resource,
      namespace,
      labelSelector: selector,
      logger: d.log,
      onChange: (o) => d.enqueue(toKey(o)),
      skipIfForbidden,
    });
    d.informers.push(inf);
    return inf;
  };
  return (resource, selector, toKey, skipIfForbidden = false) => {
    if (d.namespaces.length <= 1)
      return informer(resource, d.namespaces[0], selector, toKey, skipIfForbidden);
    const each = d.namespaces.map(
      (ns) => [ns, informer(resource, ns, selector, toKey, skipIfForbidden)] as const,
    );
    return new NamespacedCaches(new Map(each));
  };
}

class Fleet {
  readonly queue: WorkQueue;
  readonly informers: Informer[] = [];
  readonly caches: FleetCaches;
  readonly controller: Controller;
  private readonly components: FleetComponent[];
  synced = false;

  constructor(
    cfg: OperatorConfig,
    kc: KubeConfig,
    client: KubeClient,
    log: Logger,
    metrics: OperatorMetrics,
    sources: ComponentSource[],
    private readonly leadership: AbortSignal,
  ) {
    this.queue = new WorkQueue(systemClock, {
      baseDelayMs: 5,
      maxDelayMs: 15 * 60_000,
      qps: cfg.queueQps,
      burst: cfg.queueBurst,
    });
    // [] = all namespaces: one cluster-wide informer per kind; otherwise one per watched namespace.
    const namespaces = watchedNamespaces(cfg);
    const enqueue = (key: string | undefined): void => {
      if (key) this.queue.add(key);
    };
    const make = cacheFactory({ kc, client, log, namespaces, enqueue, informers: this.informers });
    this.caches = {
      fleets: make(Resources.ChatbotDeployment, undefined, fleetKey),
      deployments: make(Resources.Deployment, MANAGED, ownerKey),
      services: make(Resources.Service, MANAGED, ownerKey),
      podDisruptionBudgets: make(Resources.PodDisruptionBudget, MANAGED, ownerKey),
      serviceAccounts: make(Resources.ServiceAccount, MANAGED, ownerKey),
      configMaps: make(Resources.ConfigMap, MANAGED, ownerKey),
      pods: make(Resources.Pod, MANAGED, ownerKey),
    };
    // Managed Redis (operator/dataplane). Installed with rbac.dataPlane=false the operator may not
    // list StatefulSets, and then it has none: the cache stays empty instead of never syncing.
    const statefulSets = make(Resources.StatefulSet, MANAGED, ownerKey, true);
    // Secrets the operator created (the Redis password Secrets): a deleted one is recreated at once.
    // The managed-by selector keeps every other Secret out of the watch and the memory.
    const secrets = make(Resources.Secret, MANAGED, ownerKey, true);
    const shared: ComponentCaches = { ...this.caches, statefulSets, secrets };
    const components = sources.map((c) => (typeof c === 'function' ? c(client, shared) : c));
    this.components = components;
    const events = new KubeEventRecorder(client, 'chatfleet.io/operator', cfg.identity, log);
    const reconciler = new FleetReconciler({
      client,
      caches: this.caches,
      components,
      events,
      now: () => new Date(),
      resyncMs: cfg.resyncSeconds * 1000,
      signal: leadership,
    });
    this.controller = new Controller({
      name: CONTROLLER,
      queue: this.queue,
      reconcile: endsWithTerm(reconciler.reconcile, leadership),
      concurrency: cfg.concurrency,
      log,
      metrics,
    });
  }

  /** Workers start only after every cache listed once, so a reconcile never mistakes "not cached yet" for "absent". */
  async start(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.start()));
    if (this.leadership.aborted) return; // the term ended during the sync: start no worker
    this.synced = true;
    this.controller.start();
  }

  async stop(): Promise<void> {
    await this.controller.stop();
    await Promise.all(this.components.map((c) => (c.close ? c.close() : Promise.resolve())));
    await Promise.all(this.informers.map((i) => i.stop()));
  }
}

/**
 * The elector, wired so that every write of the operator (children, status, events, components)
 * passes its fence, and the end of its term aborts `leadership`.
 */
function fencedElector(
  cfg: OperatorConfig,
  client: KubeClient,
  log: Logger,
  leadership: AbortController,
): LeaderElector {
  const elector = new LeaderElector({
    client,
    namespace: cfg.leaseNamespace,
    name: cfg.leaseName,
    identity: cfg.identity,
    leaseDurationMs: cfg.leaseDurationSeconds * 1000,
    renewDeadlineMs: cfg.renewDeadlineSeconds * 1000,
    retryPeriodMs: cfg.retryPeriodSeconds * 1000,
    logger: log,
  });
  client.writeFence = elector.writeVerdict;
  elector.signal.addEventListener('abort', () => leadership.abort(elector.signal.reason), { once: true });
  return elector;
}

export async function startOperator(deps: OperatorDeps): Promise<RunningOperator> {
  const { config: cfg, log } = deps;
  const client = await KubeClient.create(deps.kc);
  const version = await client.probe();
  log.info(
    { server: client.serverUrl, version: version.gitVersion, identity: cfg.identity },
    'connected to the API server',
  );
  const metrics = createOperatorMetrics(deps.registry);
  client.onWrite = (verb, kind) => metrics.kubeWrites.inc({ verb, kind });
  client.onRead = (verb, kind) => metrics.kubeReads.inc({ verb, kind });
  // Aborted when this process's term ends (lost, or stopped): in-flight reconciles end with it.
  const leadership = new AbortController();
  const fleet = new Fleet(cfg, deps.kc, client, log, metrics, deps.components ?? [], leadership.signal);
  const elector = cfg.leaderElect ? fencedElector(cfg, client, log, leadership) : undefined;
  let leading = false;
  const liveness = new Liveness([fleet.queue], {
    maxReconcileMs: cfg.livenessReconcileSeconds * 1000,
    maxLoopLagMs: cfg.livenessLoopLagSeconds * 1000,
  });
  liveness.start();
  const health: HealthServer = await startHealthServer(
    cfg.healthHost,
    cfg.healthPort,
    {
      live: () => liveness.check(),
      ready: () =>
        !leading
          ? { ok: true, reason: 'standby' }
          : fleet.synced
            ? { ok: true, reason: 'leading' }
            : { ok: false, reason: 'caches syncing' },
    },
    deps.registry,
  );
  let stopping: Promise<void> | undefined;
  const run = async (): Promise<ExitReason> => {
    if (elector && !(await elector.acquire())) return 'stopped';
    leading = true;
    metrics.leader.set(1);
    // Renewing starts now, not after the sync: listing every informer can take longer than a lease.
    const held = elector ? elector.holdLeadership() : new Promise<'stopped'>(() => undefined);
    fleet.start().then(
      () =>
        leadership.signal.aborted ||
        log.info(
          { watchNamespace: cfg.watchNamespace || '<all>', concurrency: cfg.concurrency },
          'controller started',
        ),
      (err: unknown) => log.error({ err: errorMessage(err) }, 'starting the controller failed'),
    );
    const outcome = await held;
    leading = false;
    metrics.leader.set(0);
    if (outcome === 'lost') {
      leadership.abort(new Error('leadership lost'));
      if (!stopping) await fleet.stop();
    }
    return outcome === 'lost' ? 'lost-leadership' : 'stopped';
  };
  let resolveStopped: (r: ExitReason) => void = () => undefined;
  const stoppedByUser = new Promise<ExitReason>((r) => (resolveStopped = r));
  const done = Promise.race([run(), stoppedByUser]);
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      // Stop writing before handing the lease over, so two leaders never write at once.
      await fleet.stop();
      metrics.leader.set(0);
      leading = false;
      await elector?.stopAndRelease();
      await health.close();
      liveness.stop();
      client.close();
      resolveStopped('stopped');
    })());
  return { healthPort: health.port, metrics, isLeader: () => leading, done, stop };
}
