/**
 * A failed lag read as a constant reason (for status.workers.reason, the condition and Events) and a
 * bounded message. The message names brokers, topic and group (the operator's own names), never chat.
 */
import { isKafkaAuthFailure } from '../../../bot-runtime/events/kafka-connection.js';
import { errorMessage } from '../../kube/errors.js';
import {
  hasProtocolErrorType,
  isKafkaUnavailable,
  KafkaCallAbortedError,
  KafkaCallTimeoutError,
} from '../../dataplane/index.js';

export type LagUnavailableReason =
  | 'TopicNotFound'
  | 'KafkaUnreachable'
  | 'KafkaAuthFailed'
  | 'NotAuthorized'
  | 'Timeout'
  | 'Aborted'
  | 'InvalidOffsets'
  | 'InvalidRequest'
  | 'KafkaError';

/** A broker message can be long (a cause chain); status and Events need a sentence, not a trace. */
export const MAX_MESSAGE_CHARS = 300;

/** The broker answered with offsets that are not offsets (see ./sum.ts). */
export class InvalidOffsetsError extends Error {
  override readonly name = 'InvalidOffsetsError';
}

/** The broker's topic list has no such topic: found before asking for its offsets. */
export class MissingTopicError extends Error {
  override readonly name = 'MissingTopicError';
}

const NOT_AUTHORIZED = ['TOPIC_AUTHORIZATION_FAILED', 'GROUP_AUTHORIZATION_FAILED'];

export function lagFailureReason(err: unknown): LagUnavailableReason {
  if (err instanceof KafkaCallAbortedError) return 'Aborted';
  if (err instanceof KafkaCallTimeoutError) return 'Timeout';
  if (err instanceof InvalidOffsetsError) return 'InvalidOffsets';
  if (err instanceof MissingTopicError) return 'TopicNotFound';
  if (hasProtocolErrorType(err, 'UNKNOWN_TOPIC_OR_PARTITION')) return 'TopicNotFound';
  if (NOT_AUTHORIZED.some((type) => hasProtocolErrorType(err, type))) return 'NotAuthorized';
  if (isKafkaAuthFailure(err)) return 'KafkaAuthFailed';
  if (isKafkaUnavailable(err)) return 'KafkaUnreachable';
  return 'KafkaError';
}

export function boundedMessage(text: string): string {
  return text.length <= MAX_MESSAGE_CHARS ? text : `${text.slice(0, MAX_MESSAGE_CHARS - 1)}…`;
}

export function lagFailureMessage(err: unknown, what: string): string {
  return boundedMessage(`${what}: ${errorMessage(err)}`);
}
