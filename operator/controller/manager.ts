import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { OperatorConfig } from '../config.js';
import { createOperatorMetrics } from '../metrics.js';
import type { OperatorMetrics } from '../metrics.js';
import { KubeClient } from '../kube/client.js';
import { errorMessage } from '../kube/errors.js';
import { LeaderElector } from '../kube/leader-election.js';
import { Liveness } from '../health/liveness.js';
import { startHealthServer } from '../health/server.js';
import type { HealthServer } from '../health/server.js';
import { FleetWiring } from './fleet-wiring.js';
import type { ComponentSource } from './fleet-wiring.js';

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

export type { ComponentSource };

export type ExitReason = 'stopped' | 'lost-leadership';

export interface RunningOperator {
  healthPort: number;
  metrics: OperatorMetrics;
  isLeader(): boolean;
  /** Resolves when the operator ended on its own (lost leadership) or through stop(). */
  done: Promise<ExitReason>;
  stop(): Promise<void>;
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

/** The operator's client, probed once, with every request it sends counted in the operator's metrics. */
async function connect(deps: OperatorDeps): Promise<{ client: KubeClient; metrics: OperatorMetrics }> {
  const client = await KubeClient.create(deps.kc);
  const version = await client.probe();
  deps.log.info(
    { server: client.serverUrl, version: version.gitVersion, identity: deps.config.identity },
    'connected to the API server',
  );
  const metrics = createOperatorMetrics(deps.registry);
  client.onWrite = (verb, kind) => metrics.kubeWrites.inc({ verb, kind });
  client.onRead = (verb, kind) => metrics.kubeReads.inc({ verb, kind });
  return { client, metrics };
}

export async function startOperator(deps: OperatorDeps): Promise<RunningOperator> {
  const { config: cfg, log } = deps;
  const { client, metrics } = await connect(deps);
  // Aborted when this process's term ends (lost, or stopped): in-flight reconciles end with it.
  const leadership = new AbortController();
  const wiring = new FleetWiring(
    cfg,
    deps.kc,
    client,
    log,
    metrics,
    deps.components ?? [],
    leadership.signal,
  );
  const elector = cfg.leaderElect ? fencedElector(cfg, client, log, leadership) : undefined;
  let leading = false;
  const liveness = new Liveness([wiring.queue], {
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
          : wiring.synced
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
    wiring.start().then(
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
      if (!stopping) await wiring.stop();
    }
    return outcome === 'lost' ? 'lost-leadership' : 'stopped';
  };
  let resolveStopped: (r: ExitReason) => void = () => undefined;
  const stoppedByUser = new Promise<ExitReason>((r) => (resolveStopped = r));
  const done = Promise.race([run(), stoppedByUser]);
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      // Stop writing before handing the lease over, so two leaders never write at once.
      await wiring.stop();
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
