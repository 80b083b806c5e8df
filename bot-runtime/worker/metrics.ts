import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The worker's own metrics (the worker process also exports the LLM client's and Node's). */
export interface WorkerMetrics {
  /** result: done, duplicate, retried (one per retry), dead_lettered. */
  tasks: Counter<'type' | 'result'>;
  duration: Histogram<'type'>;
  inflight: Gauge;
}

export function createWorkerMetrics(registry: Registry): WorkerMetrics {
  return {
    tasks: new Counter({
      name: 'chatfleet_worker_tasks_total',
      help: 'Background tasks by type and result (done, duplicate, retried = one per retry, dead_lettered).',
      labelNames: ['type', 'result'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'chatfleet_worker_task_duration_seconds',
      help: 'Time from a task starting to finishing (done, duplicate or dead-lettered), retries included.',
      labelNames: ['type'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
      registers: [registry],
    }),
    inflight: new Gauge({
      name: 'chatfleet_worker_inflight',
      help: 'Tasks this worker process is running an attempt of now (at most WORKER_CONCURRENCY; a backoff holds no slot).',
      registers: [registry],
    }),
  };
}
