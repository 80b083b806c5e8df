import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { OperatorConfig } from '../config.js';
import { watchedNamespaces } from '../config.js';
import type { OperatorMetrics } from '../metrics.js';
import type { KubeClient } from '../kube/client.js';
import { KubeEventRecorder } from '../kube/events.js';
import { Informer } from '../kube/informer.js';
import { NamespacedCaches } from '../kube/namespaced-caches.js';
import type { WatchedCache } from '../kube/namespaced-caches.js';
import { endsWithTerm } from '../kube/lease-term.js';
import { Resources } from '../kube/resources.js';
import type { ResourceKind } from '../kube/resources.js';
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

/**
 * A component, or a factory that receives the operator's own client (so the component's requests are
 * counted in chatfleet_operator_kube_{writes,reads}_total like the core's) and the informer caches.
 */
export type ComponentSource =
  FleetComponent | ((client: KubeClient, caches: ComponentCaches) => FleetComponent);

const CONTROLLER = 'chatbotdeployment';
const MANAGED = `${LABEL_MANAGED_BY}=${FIELD_MANAGER}`;

/** Owner key of a child: its controller ownerReference to a ChatbotDeployment, or for pods the instance label. */
export function ownerKey(obj: KubeObject): string | undefined {
  const ns = obj.metadata.namespace ?? '';
  const ref = obj.metadata.ownerReferences?.find((r) => r.controller && r.kind === KIND);
  if (ref) return fleetKey({ metadata: { namespace: ns, name: ref.name } });
  const instance = obj.metadata.labels?.[LABEL_INSTANCE];
  return instance ? fleetKey({ metadata: { namespace: ns, name: instance } }) : undefined;
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

/**
 * Everything that serves all fleets in one leadership term: the work queue, the informer caches (one
 * per kind, or per kind and watched namespace), the components and the controller whose workers run
 * FleetReconciler. Built when the process starts; started once this replica leads.
 */
export class FleetWiring {
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
