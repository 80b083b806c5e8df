/**
 * The background worker pool (spec.workers, docs/workers.md): the WorkersComponent and its factory for
 * operator/main.ts. Code outside operator/workers imports from this file only.
 */
import type { ComponentSource } from '../controller/fleet-wiring.js';
import { WorkersComponent } from './component.js';
import { KafkaWorkerLagSource } from './lag-source.js';

export { LAG_POLL_MS, WorkersComponent } from './component.js';
export type { WorkersOptions } from './component.js';
export { workerGroupId, workerObjectName } from './names.js';

/** The component with the operator's client (Secret reads, prunes) and caches, reading lag from the brokers. */
export function createWorkersComponent(opts: { pollMs?: number } = {}): ComponentSource {
  return (client, caches) =>
    new WorkersComponent(client, {
      lag: new KafkaWorkerLagSource(client),
      caches,
      ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
    });
}
