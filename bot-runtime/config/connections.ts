import {
  pemCertificateCount,
  SASL_MECHANISMS,
  saslMechanism,
  type KafkaCredentials,
  type SaslCredentials,
} from '../events/kafka-connection.js';
import { errorMessage } from '../errors.js';
import { ConfigError, int, list, secret, str, strictBool, type Env } from './env.js';

/** REDIS_* and KAFKA_*: where the runtime's backing services are and how it logs in. */

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

/** Parses "host:port" (IPv6 as "[::1]:7000"). */
export function parseHostPort(entry: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(entry);
  if (!m?.[1] || !m[2]) throw new ConfigError(`REDIS_CLUSTER_NODES entry "${entry}" is not host:port`);
  return { host: m[1], port: Number(m[2]) };
}

export function parseRedis(env: Env): RedisConfig | undefined {
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

export function parseKafka(env: Env): KafkaConfig | undefined {
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
