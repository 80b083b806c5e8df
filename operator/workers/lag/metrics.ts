/**
 * The lag reader's own metric: how long a read took and how it ended, so a slow or failing broker
 * shows before the worker pool stops following its lag. Registered on an injected Registry.
 */
import { Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { LagObservation } from '../scaling/types.js';

export interface WorkerLagReadMetrics {
  /** result: "lag", or the unavailable reason (a constant of ./classify.ts, so few label values). */
  readDuration: Histogram<'result'>;
}

export function createWorkerLagReadMetrics(registry: Registry): WorkerLagReadMetrics {
  return {
    readDuration: new Histogram({
      name: 'chatfleet_operator_worker_lag_read_duration_seconds',
      help: 'Duration of one read of a worker group lag through the Kafka admin API, by result (lag or the unavailable reason).',
      labelNames: ['result'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}

export function lagReadResult(observation: LagObservation): string {
  return observation.kind === 'lag' ? 'lag' : observation.reason;
}
