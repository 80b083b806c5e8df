import { describe, expect, it } from '@jest/globals';
import { isTooLarge } from './kafka-sender.js';
import { eventSize, recordBytes, tooLargeForBroker } from './kafka-worker-protocol.js';

const MB = 1024 * 1024;

describe('event sizes against the broker limit', () => {
  it.each([
    ['a normal event', 'x'.repeat(300), false],
    ['just under the limit', 'x'.repeat(MB - 200), false],
    ['just over the limit', 'x'.repeat(MB - 100), true],
    ['1.5 MB of ASCII', 'x'.repeat(1.5 * MB), true],
    ['0.5 M characters of 3 UTF-8 bytes', '\u20ac'.repeat(MB / 2), true],
  ])('%s', (_name, value, expected) => {
    expect(tooLargeForBroker({ key: 'session-1', value }, MB)).toBe(expected);
  });

  it('counts characters for the buffer and UTF-8 bytes for the broker', () => {
    const e = { key: 'k', value: '\u20ac\u20ac' };
    expect(eventSize(e)).toBe(3);
    expect(recordBytes(e)).toBe(1 + 6 + 32);
  });
});

describe('isTooLarge', () => {
  it.each([
    ['the protocol error', { type: 'MESSAGE_TOO_LARGE' }, true],
    ['a record list too large', { type: 'RECORD_LIST_TOO_LARGE' }, true],
    [
      'wrapped by a retrier',
      { name: 'KafkaJSNonRetriableError', cause: { type: 'MESSAGE_TOO_LARGE' } },
      true,
    ],
    [
      'one of an aggregate',
      { errors: [{ type: 'LEADER_NOT_AVAILABLE' }, { type: 'MESSAGE_TOO_LARGE' }] },
      true,
    ],
    ['another protocol error', { type: 'LEADER_NOT_AVAILABLE' }, false],
    ['a connection error', new Error('Connection error: ECONNREFUSED'), false],
    ['not an object', 'MESSAGE_TOO_LARGE', false],
  ])('%s', (_name, err, expected) => {
    expect(isTooLarge(err)).toBe(expected);
  });
});
