import { fileURLToPath } from 'node:url';
import { parseApiKey, parseAuth, parseProxyEntry, type ApiKey, type AuthConfig } from './config/access.js';
import {
  parseHostPort,
  parseKafka,
  parseKafkaCredentials,
  parseRedis,
  type KafkaConfig,
  type RedisConfig,
} from './config/connections.js';
import { bool, ConfigError, int, list, str, type Env } from './config/env.js';
import {
  parseHttpTimeouts,
  parseLlm,
  parseRollout,
  type HttpTimeouts,
  type LlmConfig,
  type RolloutConfig,
  type RoutingSourceConfig,
  type Track,
} from './config/turn-path.js';
import {
  parseSummarizeAfterTurns,
  parseWorker,
  webhookSecretVariable,
  type WebhookConfig,
  type WorkerConfig,
} from './config/worker.js';

export {
  ConfigError,
  parseApiKey,
  parseHostPort,
  parseKafkaCredentials,
  parseProxyEntry,
  webhookSecretVariable,
};
export type {
  ApiKey,
  AuthConfig,
  HttpTimeouts,
  KafkaConfig,
  LlmConfig,
  RedisConfig,
  RolloutConfig,
  RoutingSourceConfig,
  Track,
  WebhookConfig,
  WorkerConfig,
};

/** Everything the runtime reads from the environment, parsed and validated once at start. */
export interface Config {
  port: number;
  workerPort: number;
  host: string;
  logLevel: string;
  modelBundle: string;
  modelVersionOverride: string | undefined;
  bundleWatchIntervalMs: number;
  maxInflight: number;
  maxMessageBytes: number;
  /** Bound of the classifier's memo of answers by normalised question, in bytes. */
  classifierMemoMaxBytes: number;
  sessionTtlSeconds: number;
  sessionMaxTurns: number;
  answerCacheTtlSeconds: number;
  rateLimitPerMinute: number;
  /** Peers whose X-Forwarded-For names the client (IPs or CIDRs); none: the peer is the client. */
  trustedProxies: string[];
  redis: RedisConfig | undefined;
  redisCommandTimeoutMs: number;
  kafka: KafkaConfig | undefined;
  llm: LlmConfig | undefined;
  auth: AuthConfig;
  /** Shutdown budgets after SIGTERM (the operator fits their sum into the grace period). */
  drainTimeoutMs: number; // in-flight turns finish
  closeTimeoutMs: number; // WebSockets get their 1012 close handshake
  eventsFlushTimeoutMs: number; // buffered events reach Kafka
  wsPingIntervalMs: number;
  maxWsConnections: number; // per process; beyond it new ones are closed with 1013
  wsIdleTimeoutMs: number; // no frame from the client for this long: closed with 1000 (0 = never)
  eventsBufferMax: number;
  /** Bound of the same buffer in bytes (characters of the serialised events). */
  eventsBufferMaxBytes: number;
  eventsIncludeText: boolean;
  rollout: RolloutConfig;
  http: HttpTimeouts;
  /** SUMMARIZE_AFTER_TURNS: chat pods enqueue a summary task every this many turns (undefined: off). */
  summarizeAfterTurns: number | undefined;
  /** The background worker's settings (read by chat pods too, unused there). */
  worker: WorkerConfig;
}

export const DEFAULT_BUNDLE_PATH = fileURLToPath(new URL('./model/bundle.example.json', import.meta.url));

function answerCacheTtlDefault(env: Env): number {
  return Math.max(1, Math.floor(int(env, 'SESSION_TTL_SECONDS', 3600, 1) / 2));
}

export function loadConfig(env: Env = process.env): Config {
  const llm = parseLlm(env);
  const rollout = parseRollout(env, llm);
  const redisCommandTimeoutMs = int(env, 'REDIS_COMMAND_TIMEOUT_MS', 1000, 1);
  return {
    port: int(env, 'PORT', 8080, 0, 65535),
    workerPort: int(env, 'WORKER_PORT', 8081, 0, 65535),
    host: str(env, 'HOST') ?? '0.0.0.0',
    logLevel: str(env, 'LOG_LEVEL') ?? 'info',
    modelBundle: str(env, 'MODEL_BUNDLE') ?? DEFAULT_BUNDLE_PATH,
    modelVersionOverride: str(env, 'MODEL_VERSION'),
    bundleWatchIntervalMs: int(env, 'MODEL_BUNDLE_POLL_MS', 2000, 50),
    maxInflight: int(env, 'MAX_INFLIGHT', 64, 1),
    maxMessageBytes: int(env, 'MAX_MESSAGE_BYTES', 4096, 1, 1024 * 1024),
    classifierMemoMaxBytes: int(env, 'CLASSIFIER_MEMO_MAX_BYTES', 16 * 1024 * 1024, 0, 1024 ** 3),
    sessionTtlSeconds: int(env, 'SESSION_TTL_SECONDS', 3600, 1),
    sessionMaxTurns: int(env, 'SESSION_MAX_TURNS', 20, 1, 10_000),
    // Half the session TTL: a managed Redis full of keys evicts the one nearest its expiry
    // (volatile-ttl, docs/dataplane.md "Memory"), so cache entries go before live sessions.
    answerCacheTtlSeconds: int(env, 'ANSWER_CACHE_TTL_SECONDS', answerCacheTtlDefault(env), 1),
    rateLimitPerMinute: int(env, 'RATE_LIMIT_PER_MINUTE', 120, 0),
    trustedProxies: list(env, 'TRUSTED_PROXIES').map(parseProxyEntry),
    redis: parseRedis(env),
    redisCommandTimeoutMs,
    kafka: parseKafka(env),
    llm,
    auth: parseAuth(env),
    drainTimeoutMs: int(env, 'DRAIN_TIMEOUT_MS', 10_000, 0),
    closeTimeoutMs: int(env, 'CLOSE_TIMEOUT_MS', 2000, 0, 600_000),
    eventsFlushTimeoutMs: int(env, 'EVENTS_FLUSH_TIMEOUT_MS', 10_000, 0, 600_000),
    wsPingIntervalMs: int(env, 'WS_PING_INTERVAL_MS', 30_000, 100),
    maxWsConnections: int(env, 'MAX_WS_CONNECTIONS', 2000, 1),
    wsIdleTimeoutMs: int(env, 'WS_IDLE_TIMEOUT_MS', 300_000, 0),
    eventsBufferMax: int(env, 'EVENTS_BUFFER_MAX', 100_000, 1),
    eventsBufferMaxBytes: int(env, 'EVENTS_BUFFER_MAX_BYTES', 64 * 1024 * 1024, 1024),
    eventsIncludeText: bool(env, 'EVENTS_INCLUDE_TEXT', false),
    rollout,
    http: parseHttpTimeouts(env, rollout, redisCommandTimeoutMs),
    summarizeAfterTurns: parseSummarizeAfterTurns(env),
    worker: parseWorker(env),
  };
}
