/**
 * kafkajs connection options (SASL, TLS) from Kafka credentials: the one copy, used by the bot
 * runtime's producer and worker and by the operator's admin client
 * (operator/dataplane/kafka/credentials.ts); and `runtimeKafka`, the bot runtime's kafkajs client
 * built from them. No I/O: a kafkajs client connects only when asked to.
 *
 * It lives in bot-runtime because the runtime image ships only dist/bot-runtime, while the
 * operator image ships all of dist, so the operator can import from here and not the reverse.
 */
import { X509Certificate } from 'node:crypto';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import { kafkaLogCreator } from './kafka-logging.js';

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export interface SaslCredentials {
  mechanism: SaslMechanism;
  username: string;
  password: string;
}

export interface KafkaCredentials {
  sasl?: SaslCredentials;
  tls: boolean;
  /** PEM bundle trusted for the brokers' certificates; the system CAs when absent. Implies TLS. */
  ca?: string;
}

/** What kafkajs' Kafka constructor takes for SASL and TLS. Plain data: it crosses to the Kafka thread. */
export interface KafkaConnection {
  ssl?: { ca: string[] } | boolean;
  sasl?: SASLOptions;
}

/** The mechanism named case-insensitively (SCRAM-SHA-512 or scram-sha-512), or undefined if unknown. */
export function saslMechanism(raw: string | undefined): SaslMechanism | undefined {
  const name = raw?.trim().toLowerCase();
  return SASL_MECHANISMS.find((m) => m === name);
}

export function kafkaConnectionOptions(credentials: KafkaCredentials): KafkaConnection {
  const connection: KafkaConnection = {};
  if (credentials.tls || credentials.ca !== undefined) {
    connection.ssl = credentials.ca !== undefined ? { ca: [credentials.ca] } : true;
  }
  if (credentials.sasl) {
    const { mechanism, username, password } = credentials.sasl;
    connection.sasl = { mechanism, username, password };
  }
  return connection;
}

/**
 * The bot runtime's kafkajs client for one use (`tasks`, `worker`): client id
 * `<KAFKA_CLIENT_ID>-<use>`, SASL and TLS from the credentials, kafkajs' own logging routed into
 * `log` (component `kafka-<use>`) at warnings and up.
 */
export function runtimeKafka(
  kc: { clientId: string; brokers: string[]; credentials: KafkaCredentials },
  use: string,
  log: Logger,
): Kafka {
  return new Kafka({
    clientId: `${kc.clientId}-${use}`,
    brokers: kc.brokers,
    ...kafkaConnectionOptions(kc.credentials),
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(log.child({ component: `kafka-${use}` })),
  });
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * How many X.509 certificates the PEM text holds, each one parsed (not only its armour matched).
 * Throws, without quoting the text, when a certificate block does not parse; 0 when there is none.
 */
export function pemCertificateCount(pem: string): number {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw new Error(`certificate ${i + 1} of ${blocks.length} does not parse`, { cause: err });
    }
  });
  return blocks.length;
}

/** Errors by which a broker refuses credentials: wrong password, unknown user, mechanism not enabled. */
const AUTH_ERROR_NAMES = new Set(['KafkaJSSASLAuthenticationError']);
const AUTH_PROTOCOL_TYPES = new Set([
  'SASL_AUTHENTICATION_FAILED',
  'UNSUPPORTED_SASL_MECHANISM',
  'ILLEGAL_SASL_STATE',
]);

function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  let current = err;
  while (typeof current === 'object' && current !== null && chain.length < 10 && !chain.includes(current)) {
    chain.push(current);
    const e = current as { cause?: unknown; originalError?: unknown };
    current = e.cause ?? e.originalError;
  }
  return chain;
}

function isAuthError(e: unknown): e is Error {
  if (!(e instanceof Error)) return false;
  const type = (e as { type?: unknown }).type;
  return AUTH_ERROR_NAMES.has(e.name) || (typeof type === 'string' && AUTH_PROTOCOL_TYPES.has(type));
}

/** True when the broker refused the SASL credentials anywhere in the cause chain. */
export function isKafkaAuthFailure(err: unknown): boolean {
  return causes(err).some(isAuthError);
}

/**
 * "authentication failed for user "u" with mechanism SCRAM-SHA-512: <the broker's words>" when the
 * broker refused the credentials, else undefined. Names the user and the mechanism, never the password.
 */
export function describeKafkaAuthFailure(err: unknown, sasl: SASLOptions | undefined): string | undefined {
  const refusal = causes(err).find(isAuthError);
  if (!refusal) return undefined;
  const user = sasl && 'username' in sasl ? JSON.stringify(sasl.username) : '(none)';
  const mechanism = sasl?.mechanism.toUpperCase() ?? '(no SASL configured)';
  return `authentication failed for user ${user} with mechanism ${mechanism}: ${refusal.message}`;
}
