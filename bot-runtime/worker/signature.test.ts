import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { signBody, verifySignature } from './signature.js';

describe('webhook signatures', () => {
  const body = '{"id":"t1"}';
  const signature = signBody('s3cret', 1_700_000_000, body);

  it('is v1= the hex HMAC-SHA256 of "<timestamp>.<body>" (the recipe in docs/tasks.md)', () => {
    const expected = createHmac('sha256', 's3cret').update(`1700000000.${body}`).digest('hex');
    expect(signature).toBe(`v1=${expected}`);
  });

  it.each([
    ['the right signature within tolerance', 's3cret', '1700000000', body, 1_700_000_100, true],
    ['another secret', 'other', '1700000000', body, 1_700_000_000, false],
    ['a changed body', 's3cret', '1700000000', '{"id":"t2"}', 1_700_000_000, false],
    ['another timestamp', 's3cret', '1700000001', body, 1_700_000_000, false],
    ['a timestamp too old (replay)', 's3cret', '1700000000', body, 1_700_000_301, false],
    ['a timestamp that is not a number', 's3cret', '17e8', body, 1_700_000_000, false],
  ])('verifies %s: %p', (_name, secret, timestamp, b, now, ok) => {
    expect(verifySignature(secret, { signature, timestamp }, b, now)).toBe(ok);
  });

  it('refuses a missing or truncated signature', () => {
    expect(
      verifySignature('s3cret', { signature: undefined, timestamp: '1700000000' }, body, 1_700_000_000),
    ).toBe(false);
    expect(
      verifySignature(
        's3cret',
        { signature: signature.slice(0, 10), timestamp: '1700000000' },
        body,
        1_700_000_000,
      ),
    ).toBe(false);
  });
});
