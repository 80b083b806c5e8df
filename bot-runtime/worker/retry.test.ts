import { describe, expect, it } from '@jest/globals';
import { backoffDelayMs, nextStep, type AttemptOutcome, type RetryPolicy } from './retry.js';

const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000 };
const fixed = (r: number) => () => r;

describe('backoffDelayMs (full jitter)', () => {
  it.each([
    // failures, random, delay: random * min(max, base * 2^(failures-1))
    [1, 1, 100],
    [2, 1, 200],
    [3, 1, 400],
    [4, 1, 800],
    [5, 1, 1000], // capped
    [60, 1, 1000], // no overflow far out
    [3, 0.5, 200],
    [3, 0, 0],
    [3, 7, 400], // a random source out of [0, 1] is clamped
  ])('after %i failures with random %p waits %i ms', (failures, r, ms) => {
    expect(backoffDelayMs(policy, failures, fixed(r))).toBe(ms);
  });
});

describe('nextStep', () => {
  const retryable: AttemptOutcome = { kind: 'retryable', reason: 'HTTP 503' };
  it.each<[string, AttemptOutcome, number, ReturnType<typeof nextStep>]>([
    ['done finishes', { kind: 'done' }, 1, { step: 'finish', result: 'done' }],
    ['duplicate finishes', { kind: 'duplicate' }, 3, { step: 'finish', result: 'duplicate' }],
    [
      'permanent dead-letters at once',
      { kind: 'permanent', reason: 'HTTP 400' },
      1,
      { step: 'dead-letter', reason: 'HTTP 400', attempts: 1 },
    ],
    ['retryable retries at now + delay', retryable, 2, { step: 'retry', atMs: 10_100, delayMs: 100 }],
    [
      'retryable at the last attempt dead-letters',
      retryable,
      4,
      { step: 'dead-letter', reason: 'gave up after 4 attempts: HTTP 503', attempts: 4 },
    ],
  ])('%s', (_name, outcome, attempt, expected) => {
    expect(nextStep(outcome, attempt, policy, 10_000, fixed(0.5))).toEqual(expected);
  });
});
