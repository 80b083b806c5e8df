/**
 * The background worker pool (spec.workers, docs/workers.md): the WorkersComponent and its factory for
 * operator/main.ts. Code outside operator/workers imports from this file only.
 */
import type { Registry } from 'prom-client';
import type { ComponentSource } from '../controller/fleet-wiring.js';
import type { KafkaAdminPool } from '../dataplane/index.js';
import { WorkersComponent } from './component.js';
import { createWorkerLagReadMetrics } from './lag/metrics.js';
import { KafkaWorkerLagSource } from './lag-source.js';

export { LAG_POLL_MS, WorkersComponent } from './component.js';
export type { WorkersOptions } from './component.js';
export { workerGroupId, workerObjectName } from './names.js';

/**
 * The component with the operator's client (Secret reads, prunes) and caches, reading lag from the
 * brokers; with a registry, chatfleet_operator_worker_lag_read_duration_seconds is registered on it (once).
 */
export function createWorkersComponent(
  opts: {
    pollMs?: number;
    registry?: Registry;
    credentialsMaxAgeMs?: number;
    /** The operator's one Kafka admin pool (shared with the topics component); by default its own. */
    pool?: KafkaAdminPool;
  } = {},
): ComponentSource {
  const metrics = opts.registry ? createWorkerLagReadMetrics(opts.registry) : undefined;
  return (client, caches) =>
    new WorkersComponent(client, {
      lag: new KafkaWorkerLagSource(client, {
        ...(metrics ? { metrics } : {}),
        ...(opts.pool ? { pool: opts.pool } : {}),
        ...(opts.credentialsMaxAgeMs !== undefined ? { credentialsMaxAgeMs: opts.credentialsMaxAgeMs } : {}),
      }),
      caches,
      ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
    });
}
