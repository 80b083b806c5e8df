import { Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client';
import type { Registry } from 'prom-client';

/** The operator's own metrics, registered on an injected Registry (never the global one). */
export interface OperatorMetrics {
  reconcileTotal: Counter<'controller' | 'result'>;
  reconcileDuration: Histogram<'controller' | 'result'>;
  queueDepth: Gauge<'controller'>;
  queueInFlight: Gauge<'controller'>;
  queueRetries: Counter<'controller'>;
  leader: Gauge;
  kubeWrites: Counter<'verb' | 'kind'>;
  kubeReads: Counter<'verb' | 'kind'>;
}

export function createOperatorMetrics(registry: Registry, withDefaults = true): OperatorMetrics {
  if (withDefaults) collectDefaultMetrics({ register: registry });
  return {
    reconcileTotal: new Counter({
      name: 'chatfleet_operator_reconcile_total',
      help: 'Reconciles finished, by result (success, requeue, error, terminal_error).',
      labelNames: ['controller', 'result'],
      registers: [registry],
    }),
    reconcileDuration: new Histogram({
      name: 'chatfleet_operator_reconcile_duration_seconds',
      help: 'Duration of one reconcile, by result.',
      labelNames: ['controller', 'result'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'chatfleet_operator_workqueue_depth',
      help: 'Keys waiting in the work queue (not counting in-flight or delayed keys).',
      labelNames: ['controller'],
      registers: [registry],
    }),
    queueInFlight: new Gauge({
      name: 'chatfleet_operator_workqueue_inflight',
      help: 'Keys being reconciled right now.',
      labelNames: ['controller'],
      registers: [registry],
    }),
    queueRetries: new Counter({
      name: 'chatfleet_operator_workqueue_retries_total',
      help: 'Keys requeued with backoff after a failed reconcile.',
      labelNames: ['controller'],
      registers: [registry],
    }),
    leader: new Gauge({
      name: 'chatfleet_operator_leader',
      help: '1 while this instance holds the leader lease, else 0.',
      registers: [registry],
    }),
    kubeWrites: new Counter({
      name: 'chatfleet_operator_kube_writes_total',
      help: 'Mutating requests sent to the API server, by verb (apply, create, update, delete) and kind.',
      labelNames: ['verb', 'kind'],
      registers: [registry],
    }),
    kubeReads: new Counter({
      name: 'chatfleet_operator_kube_reads_total',
      help: 'GETs of one object and LISTs sent to the API server, by verb (get, list) and kind (watches not counted).',
      labelNames: ['verb', 'kind'],
      registers: [registry],
    }),
  };
}

/** The data plane's pooled Kafka admin clients (operator/dataplane/kafka/admin-pool.ts). */
export interface KafkaAdminPoolMetrics {
  clients: Gauge;
  connects: Counter<'result'>;
  evictions: Counter<'reason'>;
}

export function createKafkaAdminPoolMetrics(registry: Registry): KafkaAdminPoolMetrics {
  return {
    clients: new Gauge({
      name: 'chatfleet_operator_kafka_admin_clients',
      help: 'Kafka admin clients open now (one per broker set and credentials, plus evicted ones still in use).',
      registers: [registry],
    }),
    connects: new Counter({
      name: 'chatfleet_operator_kafka_admin_connects_total',
      help: 'Kafka admin client connects that settled, by result (success, failure).',
      labelNames: ['result'],
      registers: [registry],
    }),
    evictions: new Counter({
      name: 'chatfleet_operator_kafka_admin_evictions_total',
      help: 'Kafka admin clients taken out of the pool, by reason (idle, lru, error, timeout, aborted, close).',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}
