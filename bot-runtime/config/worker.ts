import { ConfigError, int, secret, str, type Env } from './env.js';

/** WORKER_*, KAFKA_DLQ_TOPIC, WORKER_WEBHOOKS and WEBHOOK_SECRET_*: the background worker's settings. */

export interface WebhookConfig {
  name: string;
  url: string;
  /** Deliveries tried before the task goes to the DLQ (1 = no retry). */
  maxAttempts: number;
  /** Bound of one delivery (connect, send, response headers and bounded body). */
  timeoutMs: number;
  /** The HMAC-SHA256 key, from WEBHOOK_SECRET_<NAME> (a Secret). */
  secret: string;
}

export interface WorkerConfig {
  /** Tasks in flight per worker process (across its partitions). */
  concurrency: number;
  /** Where poison tasks go; defaults to `<tasks topic>.dlq` (the operator names it `<ns>.<name>.tasks.dlq`). */
  dlqTopic: string | undefined;
  webhooks: WebhookConfig[];
  /** Attempts of the tasks that are not webhooks (Redis and LLM steps) before the DLQ. */
  maxAttempts: number;
  /** First retry delay; each further one doubles, up to retryMaxDelayMs, with full jitter. */
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** Kafka consumer session timeout: how soon a dead worker's partitions move to another. */
  sessionTimeoutMs: number;
}

export const MAX_WEBHOOKS = 32;
export const MAX_WEBHOOK_URL_CHARS = 2048;
const MAX_WEBHOOKS_JSON_BYTES = 256 * 1024;
const MAX_SECRET_BYTES = 4096;
/** Webhook names are DNS labels: they name Secret keys and env variables. */
const WEBHOOK_NAME_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** WEBHOOK_SECRET_<NAME upper-cased, '-' as '_'>: the env variable of a webhook's HMAC key. */
export function webhookSecretVariable(name: string): string {
  return `WEBHOOK_SECRET_${name.toUpperCase().replaceAll('-', '_')}`;
}

function boundedInt(v: unknown, what: string, fallback: number, min: number, max: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new ConfigError(`WORKER_WEBHOOKS: ${what} must be an integer between ${min} and ${max}`);
  return v;
}

function webhookUrl(v: unknown, name: string): string {
  if (typeof v !== 'string' || v === '' || v.length > MAX_WEBHOOK_URL_CHARS)
    throw new ConfigError(
      `WORKER_WEBHOOKS: ${name}.url must be a URL of at most ${MAX_WEBHOOK_URL_CHARS} characters`,
    );
  let url: URL;
  try {
    url = new URL(v);
  } catch (err) {
    throw new ConfigError(`WORKER_WEBHOOKS: ${name}.url is not a URL`, { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError(`WORKER_WEBHOOKS: ${name}.url must be http(s)`);
  if (url.username !== '' || url.password !== '')
    throw new ConfigError(
      `WORKER_WEBHOOKS: ${name}.url must not hold credentials (the signature authenticates)`,
    );
  return v;
}

function parseWebhook(entry: unknown, env: Env, index: number): WebhookConfig {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    throw new ConfigError(`WORKER_WEBHOOKS[${index}] must be an object`);
  const o = entry as Record<string, unknown>;
  const name = o.name;
  if (typeof name !== 'string' || !WEBHOOK_NAME_RE.test(name))
    throw new ConfigError(`WORKER_WEBHOOKS[${index}].name must be a DNS label (a-z, 0-9, '-', at most 63)`);
  const variable = webhookSecretVariable(name);
  const key = secret(env, variable, MAX_SECRET_BYTES);
  if (key === undefined) throw new ConfigError(`webhook ${name} needs ${variable} (its HMAC key), non-empty`);
  return {
    name,
    url: webhookUrl(o.url, name),
    maxAttempts: boundedInt(o.maxAttempts, `${name}.maxAttempts`, 5, 1, 50),
    timeoutMs: boundedInt(o.timeoutMs, `${name}.timeoutMs`, 10_000, 100, 120_000),
    secret: key,
  };
}

export function parseWebhooks(env: Env): WebhookConfig[] {
  const raw = str(env, 'WORKER_WEBHOOKS');
  if (raw === undefined) return [];
  if (Buffer.byteLength(raw) > MAX_WEBHOOKS_JSON_BYTES)
    throw new ConfigError(`WORKER_WEBHOOKS is longer than ${MAX_WEBHOOKS_JSON_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch (err) {
    throw new ConfigError('WORKER_WEBHOOKS is not JSON', { cause: err });
  }
  if (!Array.isArray(doc)) throw new ConfigError('WORKER_WEBHOOKS must be a JSON array');
  if (doc.length > MAX_WEBHOOKS)
    throw new ConfigError(`WORKER_WEBHOOKS holds more than ${MAX_WEBHOOKS} webhooks`);
  const hooks = doc.map((entry, i) => parseWebhook(entry, env, i));
  const seen = new Set<string>();
  for (const h of hooks) {
    if (seen.has(h.name)) throw new ConfigError(`WORKER_WEBHOOKS names ${h.name} twice`);
    seen.add(h.name);
  }
  return hooks;
}

export function parseWorker(env: Env): WorkerConfig {
  const retryBaseDelayMs = int(env, 'WORKER_RETRY_BASE_MS', 500, 1, 60_000);
  return {
    concurrency: int(env, 'WORKER_CONCURRENCY', 4, 1, 64),
    dlqTopic: str(env, 'KAFKA_DLQ_TOPIC'),
    webhooks: parseWebhooks(env),
    maxAttempts: int(env, 'WORKER_MAX_ATTEMPTS', 5, 1, 50),
    retryBaseDelayMs,
    retryMaxDelayMs: int(env, 'WORKER_RETRY_MAX_MS', 30_000, retryBaseDelayMs, 600_000),
    sessionTimeoutMs: int(env, 'WORKER_SESSION_TIMEOUT_MS', 30_000, 6000, 300_000),
  };
}

/** SUMMARIZE_AFTER_TURNS: a summary every this many turns; absent is off. */
export function parseSummarizeAfterTurns(env: Env): number | undefined {
  const n = int(env, 'SUMMARIZE_AFTER_TURNS', 0, 2, 10_000);
  return n === 0 ? undefined : n;
}
