import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';
import { FORWARD_BUCKETS, TURN_BUCKETS } from './metrics/buckets.js';

export type Source = 'cache' | 'intent' | 'llm' | 'fallback';
/** `not_found`: a session that does not exist or is not the caller's (answered 404). */
export type Outcome = 'ok' | 'error' | 'shed' | 'not_found';

export interface Metrics {
  turnDuration: Histogram<'model_version' | 'source' | 'outcome'>;
  turnsInflight: Gauge;
  turnsShed: Counter<'reason'>;
  cacheRequests: Counter<'result'>;
  cacheSkips: Counter<'reason'>;
  turnsUnstored: Counter;
  sessionsNotFound: Counter;
  llmRequests: Counter<'outcome'>;
  llmDuration: Histogram;
  eventsBuffered: Gauge;
  eventsProduced: Counter;
  eventsDropped: Counter<'reason'>;
  websocketConnections: Gauge;
  bundleReloads: Counter<'result'>;
  sessionErrors: Counter<'operation'>;
  modelInfo: Gauge<'model_version' | 'bundle'>;
  rolloutGeneration: Gauge;
  routingReloads: Counter<'result'>;
  conversationsStarted: Counter<'model_version' | 'track'>;
  forwards: Counter<'result'>;
  forwardDuration: Histogram;
}

/** Registers every runtime metric on an injected Registry (never the global one). */
export function createMetrics(registry: Registry, defaultMetrics = true): Metrics {
  if (defaultMetrics) collectDefaultMetrics({ register: registry }); // includes nodejs_eventloop_lag_seconds
  return {
    ...turnMetrics([registry]),
    ...createLlmMetrics([registry]),
    ...backendMetrics([registry]),
    ...rolloutMetrics([registry]),
  };
}

/** What the LLM client records: the chat server and the background worker both export these. */
export type LlmMetrics = Pick<Metrics, 'llmRequests' | 'llmDuration'>;

type RolloutMetricNames =
  'rolloutGeneration' | 'routingReloads' | 'conversationsStarted' | 'forwards' | 'forwardDuration';

function rolloutMetrics(registers: Registry[]): Pick<Metrics, RolloutMetricNames> {
  const rolloutGeneration = new Gauge({
    name: 'chatfleet_rollout_generation',
    help: 'Generation of the rollout routing this pod applies (-1: none yet).',
    registers,
  });
  rolloutGeneration.set(-1);
  return {
    rolloutGeneration,
    routingReloads: new Counter({
      name: 'chatfleet_routing_reloads_total',
      help: 'Routing objects seen (result: ok, invalid, missing, error); a bad one keeps the last good routing.',
      labelNames: ['result'],
      registers,
    }),
    conversationsStarted: new Counter({
      name: 'chatfleet_conversations_started_total',
      help: 'New conversations by the model version and track they were assigned to.',
      labelNames: ['model_version', 'track'],
      registers,
    }),
    forwards: new Counter({
      name: 'chatfleet_forward_total',
      help: 'Turns forwarded to the other track (result: ok, no_url, no_token, unreachable, timeout, draining, error; all but ok were served locally).',
      labelNames: ['result'],
      registers,
    }),
    forwardDuration: new Histogram({
      name: 'chatfleet_forward_duration_seconds',
      help: "Latency a forwarded turn added: the exchange minus the serving pod's own turn time.",
      buckets: [...FORWARD_BUCKETS],
      registers,
    }),
  };
}

type TurnMetricNames =
  | 'turnDuration'
  | 'turnsInflight'
  | 'turnsShed'
  | 'cacheRequests'
  | 'cacheSkips'
  | 'turnsUnstored'
  | 'sessionsNotFound';

function turnMetrics(registers: Registry[]): Pick<Metrics, TurnMetricNames> {
  return {
    turnDuration: new Histogram({
      name: 'chatfleet_turn_duration_seconds',
      help: 'Chat turn latency from request to reply.',
      labelNames: ['model_version', 'source', 'outcome'],
      buckets: [...TURN_BUCKETS],
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
    turnsUnstored: new Counter({
      name: 'chatfleet_turns_unstored_total',
      help: 'Turns answered but not recorded in the session store (the reply says stored: false).',
      registers,
    }),
    sessionsNotFound: new Counter({
      name: 'chatfleet_sessions_not_found_total',
      help: "Turns and session reads answered 404: the session does not exist or is another principal's.",
      registers,
    }),
    cacheSkips: new Counter({
      name: 'chatfleet_cache_skips_total',
      help: 'LLM answers not put in the shared answer cache (reason: history = the LLM saw the conversation, redis_unavailable).',
      labelNames: ['reason'],
      registers,
    }),
  };
}

export function createLlmMetrics(registers: Registry[]): LlmMetrics {
  return {
    llmRequests: new Counter({
      name: 'chatfleet_llm_requests_total',
      help: 'LLM backend calls (outcome: ok, error, timeout, circuit_open, rejected = 4xx, bad_reply).',
      labelNames: ['outcome'],
      registers,
    }),
    llmDuration: new Histogram({
      name: 'chatfleet_llm_request_duration_seconds',
      help: 'LLM backend call latency.',
      buckets: [...TURN_BUCKETS],
      registers,
    }),
  };
}

function backendMetrics(
  registers: Registry[],
): Omit<Metrics, TurnMetricNames | RolloutMetricNames | keyof LlmMetrics> {
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
      help: 'Events dropped (reason: buffer_full, shutdown, producer_exit, too_large).',
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
