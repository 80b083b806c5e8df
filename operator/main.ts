import { pino } from 'pino';
import { Registry } from 'prom-client';
import { ConfigError, parseConfig, usage } from './config.js';
import { loadKubeConfig } from './kube/kubeconfig.js';
import { ClusterUnreachableError, errorMessage } from './kube/errors.js';
import { startOperator } from './controller/manager.js';
import type { RunningOperator } from './controller/manager.js';
import { createAutoscalerComponent } from './autoscaler/component.js';
import {
  KafkaAdminPool,
  kafkaAdminFactory,
  KafkaTopicsComponent,
  RedisComponent,
} from './dataplane/index.js';
import { createKafkaAdminPoolMetrics } from './metrics.js';
import { createRolloutComponent } from './rollout/component.js';
import { createWorkersComponent } from './workers/index.js';
import { runReleaseFinalizers } from './uninstall/command.js';
import { RELEASE_FINALIZERS } from './uninstall/release-finalizers.js';

/** After leadership is lost, how long cleanup may take before the process exits anyway. */
const LOST_LEADERSHIP_EXIT_MS = 5_000;

/**
 * Entry point of `npm start`: parse config, connect (KUBECONFIG, ~/.kube/config or in-cluster;
 * a clear error and exit code 1 when no cluster is reachable), run until SIGTERM/SIGINT or until
 * leadership is lost (exit 1 then, so the pod restarts as a clean standby, as controller-runtime does).
 */
async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  // The chart's pre-delete hook (docs/install.md "Uninstalling"): a one-shot command, no controller.
  if (argv[0] === RELEASE_FINALIZERS) return runReleaseFinalizers(argv.slice(1), process.env);
  if (argv.includes('--help')) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const config = parseConfig(argv, process.env);
  const log = pino({
    level: config.logLevel,
    base: { app: 'chatfleet-operator', identity: config.identity },
  });
  const { kc, source } = loadKubeConfig(process.env);
  log.info({ source, context: kc.getCurrentContext() }, 'loaded Kubernetes configuration');
  const registry = new Registry();
  // One pool of Kafka admin clients for the topics and the worker lag reads: one connection per broker
  // set and credentials, not one per component (both close it on shutdown; closing twice is harmless).
  const kafkaAdminPool = new KafkaAdminPool({
    createAdmin: kafkaAdminFactory(),
    metrics: createKafkaAdminPoolMetrics(registry),
  });
  const operator: RunningOperator = await startOperator({
    config,
    kc,
    log,
    registry,
    components: [
      // The data plane first (Redis, then Kafka topics): its env and children feed the Deployment the core applies.
      (client, caches) => new RedisComponent(client, { caches }),
      (client) =>
        new KafkaTopicsComponent(client, {
          topicOwnershipNamespace: config.topicOwnershipNamespace,
          topicDeletionTimeoutMs: config.topicDeletionTimeoutSeconds * 1000,
          registry,
          kafkaAdminPool,
        }),
      // The worker pool (after the topics it consumes); it sizes <name>-worker itself, never the bots.
      createWorkersComponent({ registry, pool: kafkaAdminPool }),
      // The rollout owns `tracks` (which revision each Deployment runs, the canary's share) and the
      // autoscaler owns `replicas` (the stable track); the core composes both (composeReplicas).
      createRolloutComponent({ registry }),
      createAutoscalerComponent({ registry, prometheusUrl: config.prometheusUrl }),
    ],
  });
  log.info({ healthPort: operator.healthPort }, 'serving /healthz, /readyz and /metrics');

  let signalled = false;
  const onSignal = (signal: string): void => {
    if (signalled) return;
    signalled = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error('graceful shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutSeconds * 1000);
    timer.unref();
    operator.stop().catch((err: unknown) => log.error({ err: errorMessage(err) }, 'error during shutdown'));
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  const reason = await operator.done;
  if (reason === 'lost-leadership') {
    log.error('leadership lost; exiting so a fresh process rejoins as a standby');
    // The write fence already refuses every write of this process. Abandoned reconciles may still
    // hold sockets or timers that would keep it alive: exit after a bounded cleanup, whatever is left.
    const cleanup = operator
      .stop()
      .catch((err: unknown) => log.error({ err: errorMessage(err) }, 'error during shutdown'));
    await Promise.race([cleanup, new Promise((r) => setTimeout(r, LOST_LEADERSHIP_EXIT_MS).unref())]);
    process.exit(1);
  }
  await operator.stop(); // idempotent
  log.info('stopped');
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof ClusterUnreachableError) {
      process.stderr.write(`chatfleet-operator: ${err.message}\n`);
    } else {
      process.stderr.write(
        `chatfleet-operator: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
    }
    process.exitCode = 1;
  },
);
