import { describe, expect, it } from '@jest/globals';
import kafkajs from 'kafkajs';
import {
  KafkaCallAbortedError,
  KafkaCallTimeoutError,
  KafkaUnavailableError,
} from '../../dataplane/index.js';
import { InvalidOffsetsError, lagFailureMessage, lagFailureReason, MAX_MESSAGE_CHARS } from './classify.js';

const { KafkaJSProtocolError, KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded } = kafkajs;

/** A broker refusal as kafkajs raises it (the error code table entry it is built from). */
function refusal(type: string, code: number): Error {
  return new KafkaJSProtocolError({
    type,
    code,
    retriable: false,
    message: `${type} from the broker`,
  } as never);
}

describe('lagFailureReason', () => {
  it.each([
    { name: 'cancelled', err: new KafkaCallAbortedError('cancelled'), want: 'Aborted' },
    { name: 'deadline', err: new KafkaCallTimeoutError('no answer'), want: 'Timeout' },
    { name: 'nonsense offsets', err: new InvalidOffsetsError('bad'), want: 'InvalidOffsets' },
    { name: 'unknown topic', err: refusal('UNKNOWN_TOPIC_OR_PARTITION', 3), want: 'TopicNotFound' },
    {
      name: 'unknown topic, wrapped by kafkajs retries',
      err: new KafkaJSNumberOfRetriesExceeded(refusal('UNKNOWN_TOPIC_OR_PARTITION', 3), {
        retryCount: 1,
        retryTime: 200,
      }),
      want: 'TopicNotFound',
    },
    { name: 'topic ACL', err: refusal('TOPIC_AUTHORIZATION_FAILED', 29), want: 'NotAuthorized' },
    { name: 'group ACL', err: refusal('GROUP_AUTHORIZATION_FAILED', 30), want: 'NotAuthorized' },
    { name: 'SASL refused', err: refusal('SASL_AUTHENTICATION_FAILED', 58), want: 'KafkaAuthFailed' },
    {
      name: 'connection error',
      err: new KafkaJSConnectionError('Connection error: ECONNREFUSED'),
      want: 'KafkaUnreachable',
    },
    { name: 'unavailable', err: new KafkaUnavailableError('down'), want: 'KafkaUnreachable' },
    { name: 'anything else', err: refusal('COORDINATOR_NOT_AVAILABLE', 15), want: 'KafkaError' },
    { name: 'not even an Error', err: 'a string', want: 'KafkaError' },
  ])('$name -> $want', ({ err, want }) => {
    expect(lagFailureReason(err)).toBe(want);
  });

  it('bounds the message, however long the cause chain', () => {
    const long = new Error('x'.repeat(5000), { cause: new Error('y'.repeat(5000)) });
    const message = lagFailureMessage(long, 'lag of group g on topic t');
    expect(message.length).toBe(MAX_MESSAGE_CHARS);
    expect(message.startsWith('lag of group g on topic t: xxx')).toBe(true);
  });
});
