import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  pemCertificateCount,
  SASL_MECHANISMS,
  saslMechanism,
  type KafkaCredentials,
  type SaslCredentials,
} from './events/kafka-connection.js';
import { errorMessage } from './errors.js';

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
}

/** Bounds of one HTTP connection (docs/bot-runtime.md, Abuse resistance: slowloris). */
export interface HttpTimeouts {
  headersTimeoutMs: number; // the request's headers must have arrived within this
  requestTimeoutMs: number; // the whole request, headers and body
  keepAliveTimeoutMs: number; // an idle keep-alive connection is closed after this
  connectionTimeoutMs: number; // a socket without traffic is closed after this (> slowest turn)
}

export type Track = 'stable' | 'canary';

/** Where the routing object comes from (see docs/bot-runtime.md, Rollout routing). */
export type RoutingSourceConfig =
  | { kind: 'configmap'; name: string; namespace: string; kubeconfig: string | undefined }
  | { kind: 'file'; path: string };

export interface RolloutConfig {
  /** The track of this pod (CHATFLEET_TRACK). */
  track: Track;
  /** FLEET_ID (`<namespace>/<name>`, set by the operator): every Redis key's prefix and the assignment hash's salt; '' when unset. */
  fleetId: string;
  /** Undefined: no rollout routing, every turn is served locally. */
  routing: RoutingSourceConfig | undefined;
  /** Base URLs turns are forwarded to, by track. */
  urls: Partial<Record<Track, string>>;
  /** Bound of one forwarded turn (connect + reply). */
  forwardTimeoutMs: number;
}

/**
 * tls: REDIS_TLS=true, or a rediss:// REDIS_URL (absent: false). The server's certificate is checked
 * against the system CAs (NODE_EXTRA_CA_CERTS adds a private one).
 */
export type RedisConfig =
  | { mode: 'standalone'; url: string; password: string | undefined; tls?: boolean }
  | { mode: 'cluster'; nodes: { host: string; port: number }[]; password: string | undefined; tls?: boolean };

export interface KafkaConfig {
  brokers: string[];
  clientId: string;
  eventsTopic: string;
  tasksTopic: string;
  tasksGroupId: string;
  /** The broker's message.max.bytes: an event over it is dropped, a batch is kept under it. */
  maxMessageBytes: number;
  /** KAFKA_SASL_* and KAFKA_TLS*, from the fleet's Kafka Secret (spec.messaging.kafka.secretRef). */
  credentials: KafkaCredentials;
}

export interface LlmConfig {
  endpoint: string;
  model: string;
  apiKey: string | undefined;
  timeoutMs: number;
  breakerFailureThreshold: number;
  breakerCooldownMs: number;
}

/** One accepted API key and the name that identifies its holder (the principal `key:<name>`). */
export interface ApiKey {
  name: string;
  key: string;
}

export interface AuthConfig {
  apiKeys: ApiKey[];
  jwtSecret: string | undefined; // HS256 key
  jwksUrl: string | undefined; // RS256/ES256 keys, cached, refetched on an unknown kid
  jwksCooldownMs: number;
  jwksTimeoutMs: number;
  jwtIssuer: string | undefined; // enforced when set
  jwtAudience: string[] | undefined; // enforced when set: aud must name one of these
  jwtClockSkewSeconds: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

export const DEFAULT_BUNDLE_PATH = fileURLToPath(new URL('./model/bundle.example.json', import.meta.url));

function str(env: Env, key: string): string | undefined {
  const v = env[key]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

function int(env: Env, key: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = str(env, key);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(`${key} must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${key} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function bool(env: Env, key: string, fallback: boolean): boolean {
  const raw = str(env, key)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${key} must be a boolean, got "${raw}"`);
}

/** A credential exactly as given (never trimmed: the operator's admin client uses it as is); '' is unset. */
function secret(env: Env, key: string, maxBytes: number): string | undefined {
  const v = env[key];
  if (v === undefined || v === '') return undefined;
  if (Buffer.byteLength(v, 'utf8') > maxBytes)
    throw new ConfigError(`${key} is longer than ${maxBytes} bytes`);
  return v;
}

/** Exactly "true" or "false" (any case), like the operator reads the same Secret key; undefined when unset. */
function strictBool(env: Env, key: string): boolean | undefined {
  const raw = str(env, key)?.toLowerCase();
  if (raw === undefined) return undefined;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new ConfigError(`${key} must be "true" or "false", got "${raw.slice(0, 64)}"`);
}

function list(env: Env, key: string): string[] {
  return (str(env, key) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** A TRUSTED_PROXIES entry: an IP address or a CIDR range. */
export function parseProxyEntry(entry: string): string {
  const [ip = '', bits, ...rest] = entry.split('/');
  const family = isIP(ip);
  const max = family === 6 ? 128 : 32;
  const validBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max);
  if (family === 0 || !validBits || rest.length > 0) {
    throw new ConfigError(`TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR range`);
  }
  return entry;
}

/** Parses "host:port" (IPv6 as "[::1]:7000"). */
export function parseHostPort(entry: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(entry);
  if (!m?.[1] || !m[2]) throw new ConfigError(`REDIS_CLUSTER_NODES entry "${entry}" is not host:port`);
  return { host: m[1], port: Number(m[2]) };
}

function parseRedis(env: Env): RedisConfig | undefined {
  const password = str(env, 'REDIS_PASSWORD');
  const tls = strictBool(env, 'REDIS_TLS');
  const nodes = list(env, 'REDIS_CLUSTER_NODES');
  if (nodes.length > 0)
    return { mode: 'cluster', nodes: nodes.map(parseHostPort), password, tls: tls === true };
  const url = str(env, 'REDIS_URL');
  if (url === undefined) return undefined;
  const rediss = url.toLowerCase().startsWith('rediss://');
  if (rediss && tls === false) throw new ConfigError('REDIS_TLS is "false" but REDIS_URL is rediss:// (TLS)');
  return { mode: 'standalone', url, password, tls: rediss || tls === true };
}

const MAX_SASL_USERNAME_BYTES = 1024;
const MAX_SASL_PASSWORD_BYTES = 4096;
const MAX_TLS_CA_BYTES = 1024 * 1024;

/** KAFKA_SASL_*: all three or none; a username or password alone is a mistake, said at startup. */
function parseSasl(env: Env): SaslCredentials | undefined {
  const raw = str(env, 'KAFKA_SASL_MECHANISM');
  const username = secret(env, 'KAFKA_SASL_USERNAME', MAX_SASL_USERNAME_BYTES);
  const password = secret(env, 'KAFKA_SASL_PASSWORD', MAX_SASL_PASSWORD_BYTES);
  const mechanisms = SASL_MECHANISMS.join(', ');
  if (raw === undefined) {
    const stray = username !== undefined ? 'KAFKA_SASL_USERNAME' : 'KAFKA_SASL_PASSWORD';
    if (username !== undefined || password !== undefined) {
      throw new ConfigError(`${stray} is set without KAFKA_SASL_MECHANISM (one of ${mechanisms})`);
    }
    return undefined;
  }
  const mechanism = saslMechanism(raw);
  if (!mechanism) {
    throw new ConfigError(`KAFKA_SASL_MECHANISM must be one of ${mechanisms}, got "${raw.slice(0, 64)}"`);
  }
  if (username === undefined)
    throw new ConfigError(`KAFKA_SASL_MECHANISM=${mechanism} needs KAFKA_SASL_USERNAME`);
  if (password === undefined)
    throw new ConfigError(`KAFKA_SASL_MECHANISM=${mechanism} needs KAFKA_SASL_PASSWORD`);
  return { mechanism, username, password };
}

/** KAFKA_TLS_CA: a PEM bundle of at least one certificate that parses. Its content is never echoed. */
function parseCa(env: Env): string | undefined {
  const ca = secret(env, 'KAFKA_TLS_CA', MAX_TLS_CA_BYTES);
  if (ca === undefined) return undefined;
  let count: number;
  try {
    count = pemCertificateCount(ca);
  } catch (err) {
    throw new ConfigError(`KAFKA_TLS_CA: ${errorMessage(err)}`, { cause: err });
  }
  if (count === 0)
    throw new ConfigError('KAFKA_TLS_CA holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  return ca;
}

/** A CA implies TLS (as the operator's admin client does); KAFKA_TLS=false with a CA contradicts itself. */
export function parseKafkaCredentials(env: Env): KafkaCredentials {
  const sasl = parseSasl(env);
  const tls = strictBool(env, 'KAFKA_TLS');
  const ca = parseCa(env);
  if (ca !== undefined && tls === false)
    throw new ConfigError('KAFKA_TLS is "false" but KAFKA_TLS_CA is set');
  return { ...(sasl && { sasl }), tls: tls === true || ca !== undefined, ...(ca !== undefined && { ca }) };
}

function parseKafka(env: Env): KafkaConfig | undefined {
  const brokers = list(env, 'KAFKA_BROKERS');
  if (brokers.length === 0) return undefined;
  return {
    credentials: parseKafkaCredentials(env),
    brokers,
    clientId: str(env, 'KAFKA_CLIENT_ID') ?? 'chatfleet-bot',
    eventsTopic: str(env, 'KAFKA_EVENTS_TOPIC') ?? 'chatfleet.events',
    tasksTopic: str(env, 'KAFKA_TASKS_TOPIC') ?? 'chatfleet.tasks',
    tasksGroupId: str(env, 'KAFKA_TASKS_GROUP') ?? 'chatfleet-bot-worker',
    maxMessageBytes: int(env, 'KAFKA_MAX_MESSAGE_BYTES', 1024 * 1024, 1024, 1024 ** 3),
  };
}

function parseLlm(env: Env): LlmConfig | undefined {
  const endpoint = str(env, 'LLM_ENDPOINT');
  if (endpoint === undefined) return undefined;
  try {
    new URL(endpoint);
  } catch (err) {
    throw new ConfigError(`LLM_ENDPOINT is not a URL: "${endpoint}"`, { cause: err });
  }
  return {
    endpoint,
    model: str(env, 'LLM_MODEL') ?? 'default',
    apiKey: str(env, 'LLM_API_KEY'),
    timeoutMs: int(env, 'LLM_TIMEOUT_MS', 2000, 1),
    breakerFailureThreshold: int(env, 'LLM_BREAKER_FAILURES', 5, 1),
    breakerCooldownMs: int(env, 'LLM_BREAKER_COOLDOWN_MS', 10_000, 1),
  };
}

function baseUrl(env: Env, key: string): string | undefined {
  const raw = str(env, key);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch (err) {
    throw new ConfigError(`${key} is not a URL: "${raw}"`, { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${key} must be http(s)`);
  return raw.replace(/\/+$/, '');
}

function parseRoutingSource(env: Env): RoutingSourceConfig | undefined {
  const name = str(env, 'CHATFLEET_ROUTING_CONFIGMAP');
  const path = str(env, 'CHATFLEET_ROUTING_FILE');
  if (name !== undefined && path !== undefined) {
    throw new ConfigError('set only one of CHATFLEET_ROUTING_CONFIGMAP and CHATFLEET_ROUTING_FILE');
  }
  if (path !== undefined) return { kind: 'file', path };
  if (name === undefined) return undefined;
  const namespace = str(env, 'POD_NAMESPACE');
  if (namespace === undefined) throw new ConfigError('CHATFLEET_ROUTING_CONFIGMAP needs POD_NAMESPACE');
  return { kind: 'configmap', name, namespace, kubeconfig: str(env, 'KUBECONFIG') };
}

const API_KEY_NAME = /^[A-Za-z0-9_.-]{1,63}$/;

/**
 * An AUTH_API_KEYS entry: `<name>:<key>`. A bare key (no name) is named after a digest of itself,
 * so its holder still has a stable identity without the key appearing anywhere.
 */
export function parseApiKey(entry: string): ApiKey {
  const colon = entry.indexOf(':');
  const name = entry.slice(0, colon);
  if (colon > 0 && API_KEY_NAME.test(name) && colon < entry.length - 1) {
    return { name, key: entry.slice(colon + 1) };
  }
  return { name: `sha256-${createHash('sha256').update(entry).digest('hex').slice(0, 12)}`, key: entry };
}

function parseAuth(env: Env): AuthConfig {
  const jwksUrl = baseUrl(env, 'AUTH_JWKS_URL');
  const audience = list(env, 'AUTH_JWT_AUDIENCE');
  return {
    apiKeys: list(env, 'AUTH_API_KEYS').map(parseApiKey),
    jwtSecret: str(env, 'AUTH_JWT_SECRET'),
    jwksUrl: jwksUrl === undefined ? undefined : str(env, 'AUTH_JWKS_URL'),
    jwksCooldownMs: int(env, 'AUTH_JWKS_COOLDOWN_MS', 30_000, 0, 3_600_000),
    jwksTimeoutMs: int(env, 'AUTH_JWKS_TIMEOUT_MS', 2000, 100, 60_000),
    jwtIssuer: str(env, 'AUTH_JWT_ISSUER'),
    jwtAudience: audience.length > 0 ? audience : undefined,
    jwtClockSkewSeconds: int(env, 'AUTH_JWT_CLOCK_SKEW_SECONDS', 30, 0, 300),
  };
}

function parseHttpTimeouts(env: Env, rollout: RolloutConfig, redisTimeoutMs: number): HttpTimeouts {
  const headersTimeoutMs = int(env, 'HTTP_HEADERS_TIMEOUT_MS', 5000, 100, 600_000);
  const requestTimeoutMs = int(env, 'HTTP_REQUEST_TIMEOUT_MS', 10_000, 100, 600_000);
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError('HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS');
  }
  // The slowest turn: a forwarded one (it bounds the other pod's LLM call) plus this pod's Redis steps.
  const slowestTurnMs = rollout.forwardTimeoutMs + 4 * redisTimeoutMs;
  const keepAliveTimeoutMs = int(env, 'HTTP_KEEPALIVE_TIMEOUT_MS', 72_000, 100, 600_000);
  return {
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs,
    // Longer than the keep-alive timeout too, which would otherwise never be reached.
    connectionTimeoutMs: int(
      env,
      'HTTP_CONNECTION_TIMEOUT_MS',
      Math.max(keepAliveTimeoutMs, slowestTurnMs) + 5000,
      slowestTurnMs + 1000,
      3_600_000,
    ),
  };
}

function parseRollout(env: Env, llm: LlmConfig | undefined): RolloutConfig {
  const track = str(env, 'CHATFLEET_TRACK') ?? 'stable';
  if (track !== 'stable' && track !== 'canary') {
    throw new ConfigError(`CHATFLEET_TRACK must be stable or canary, got "${track}"`);
  }
  const stable = baseUrl(env, 'CHATFLEET_STABLE_URL');
  const canary = baseUrl(env, 'CHATFLEET_CANARY_URL');
  return {
    track,
    fleetId: str(env, 'FLEET_ID') ?? '',
    routing: parseRoutingSource(env),
    urls: { ...(stable && { stable }), ...(canary && { canary }) },
    // Longer than the other pod's slowest turn (its LLM call), so a slow turn is not served twice.
    forwardTimeoutMs: int(env, 'CHATFLEET_FORWARD_TIMEOUT_MS', 2000 + (llm?.timeoutMs ?? 0), 1),
  };
}

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
  };
}
