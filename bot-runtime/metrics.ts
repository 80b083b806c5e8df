import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';

/** Contract buckets (CONTRACT.md): the autoscaler and rollout analysis compute percentiles from them. */
export const TURN_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10,
];

export type Source = 'cache' | 'intent' | 'llm' | 'fallback';
export type Outcome = 'ok' | 'error' | 'shed';

export interface Metrics {
  turnDuration: Histogram<'model_version' | 'source' | 'outcome'>;
  turnsInflight: Gauge;
  turnsShed: Counter<'reason'>;
  cacheRequests: Counter<'result'>;
  llmRequests: Counter<'outcome'>;
  llmDuration: Histogram;
  eventsBuffered: Gauge;
  eventsProduced: Counter;
  eventsDropped: Counter<'reason'>;
  websocketConnections: Gauge;
  bundleReloads: Counter<'result'>;
  sessionErrors: Counter<'operation'>;
  modelInfo: Gauge<'model_version' | 'bundle'>;
}

/** Registers every runtime metric on an injected Registry (never the global one). */
export function createMetrics(registry: Registry, defaultMetrics = true): Metrics {
  if (defaultMetrics) collectDefaultMetrics({ register: registry }); // includes nodejs_eventloop_lag_seconds
  return { ...turnMetrics([registry]), ...backendMetrics([registry]) };
}

type TurnMetricNames =
  'turnDuration' | 'turnsInflight' | 'turnsShed' | 'cacheRequests' | 'llmRequests' | 'llmDuration';

function turnMetrics(registers: Registry[]): Pick<Metrics, TurnMetricNames> {
  return {
    turnDuration: new Histogram({
      name: 'chatfleet_turn_duration_seconds',
      help: 'Chat turn latency from request to reply.',
      labelNames: ['model_version', 'source', 'outcome'],
      buckets: TURN_BUCKETS,
      registers,
    }),
    turnsInflight: new Gauge({
      name: 'chatfleet_turns_inflight',
      help: 'Chat turns being processed now.',
      registers,
    }),
    turnsShed: new Counter({
      name: 'chatfleet_turns_shed_total',
      help: 'Turns refused without processing (reason: inflight, rate_limit, draining).',
      labelNames: ['reason'],
      registers,
    }),
    cacheRequests: new Counter({
      name: 'chatfleet_cache_requests_total',
      help: 'Answer-cache lookups.',
      labelNames: ['result'],
      registers,
    }),
    llmRequests: new Counter({
      name: 'chatfleet_llm_requests_total',
      help: 'LLM backend calls (outcome: ok, error, timeout, circuit_open).',
      labelNames: ['outcome'],
      registers,
    }),
    llmDuration: new Histogram({
      name: 'chatfleet_llm_request_duration_seconds',
      help: 'LLM backend call latency.',
      buckets: TURN_BUCKETS,
      registers,
    }),
  };
}

function backendMetrics(registers: Registry[]): Omit<Metrics, TurnMetricNames> {
  return {
    eventsBuffered: new Gauge({
      name: 'chatfleet_events_buffered',
      help: 'Conversation events waiting to be produced to Kafka.',
      registers,
    }),
    eventsProduced: new Counter({
      name: 'chatfleet_events_produced_total',
      help: 'Events acknowledged by Kafka.',
      registers,
    }),
    eventsDropped: new Counter({
      name: 'chatfleet_events_dropped_total',
      help: 'Events dropped (reason: buffer_full, shutdown, producer_exit).',
      labelNames: ['reason'],
      registers,
    }),
    websocketConnections: new Gauge({
      name: 'chatfleet_websocket_connections',
      help: 'Open WebSocket connections.',
      registers,
    }),
    bundleReloads: new Counter({
      name: 'chatfleet_model_reloads_total',
      help: 'Model bundle (re)loads (result: ok, error).',
      labelNames: ['result'],
      registers,
    }),
    sessionErrors: new Counter({
      name: 'chatfleet_session_store_errors_total',
      help: 'Redis session/cache/rate-limit operations that failed (the turn continued degraded).',
      labelNames: ['operation'],
      registers,
    }),
    modelInfo: new Gauge({
      name: 'chatfleet_model_info',
      help: 'The model version being served (value 1).',
      labelNames: ['model_version', 'bundle'],
      registers,
    }),
  };
}
