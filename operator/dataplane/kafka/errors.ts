/** Classify kafkajs failures: "the broker cannot be reached" vs "the broker said no". */
import { isKafkaAuthFailure } from '../../../bot-runtime/events/kafka-connection.js';
import { errorChain } from '../../kube/errors.js';

const UNAVAILABLE_NAMES = new Set([
  'KafkaUnavailableError',
  'KafkaCallTimeoutError',
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSBrokerNotFound',
  'KafkaJSRequestTimeoutError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSLockTimeout',
]);

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
]);

function looksUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const name = 'name' in err && typeof err.name === 'string' ? err.name : '';
  const code = 'code' in err && typeof err.code === 'string' ? err.code : '';
  const message = 'message' in err && typeof err.message === 'string' ? err.message : '';
  return (
    UNAVAILABLE_NAMES.has(name) || UNAVAILABLE_CODES.has(code) || /Connection (timeout|error)/i.test(message)
  );
}

/**
 * True when anything in the cause chain is a connection-level failure. A refused login (wrong
 * password, unknown user, mechanism not enabled) counts too: without it the broker is as out of
 * reach as a down one, and it is retried with the same backoff until the Secret is fixed.
 */
export function isKafkaUnavailable(err: unknown): boolean {
  return errorChain(err).some(looksUnavailable) || isKafkaAuthFailure(err);
}

/** True when a KafkaJSProtocolError of the given type (e.g. UNKNOWN_TOPIC_OR_PARTITION) is in the chain. */
export function hasProtocolErrorType(err: unknown, type: string): boolean {
  return errorChain(err).some((e) => typeof e === 'object' && e !== null && 'type' in e && e.type === type);
}

/** Raised by the TopicManager when the brokers cannot be reached; callers match on the class. */
export class KafkaUnavailableError extends Error {
  override readonly name: string = 'KafkaUnavailableError';
}

/**
 * A topic claim could not be read or written: the Kubernetes API failed, not Kafka. It is never
 * reported as a Kafka condition; the reconcile fails and the work queue retries it with backoff.
 */
export class TopicOwnershipError extends Error {
  override readonly name = 'TopicOwnershipError';
}

/**
 * An admin call (or the connect before it) got no answer within its deadline: the broker set is
 * unavailable, whatever kafkajs would have said after its own timeouts and retries.
 */
export class KafkaCallTimeoutError extends KafkaUnavailableError {
  override readonly name = 'KafkaCallTimeoutError';
}

/** The reconcile's AbortSignal fired (leadership lost, shutdown) while an admin call was waiting. */
export class KafkaCallAbortedError extends Error {
  override readonly name = 'KafkaCallAbortedError';
}
