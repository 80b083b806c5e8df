import { describe, expect, it } from '@jest/globals';
import { ApiError, errorChain, errorMessage, isConflict, isInvalid, isNotFound } from './errors.js';

function cyclic(): Error {
  const a = new Error('a');
  const b = new Error('b', { cause: a });
  (a as { cause?: unknown }).cause = b;
  return b;
}

describe('errorMessage', () => {
  it.each([
    ['an Error', new Error('boom'), 'boom'],
    ['a string', 'plain', 'plain'],
    ['undefined', undefined, 'undefined'],
    [
      'a cause chain',
      new Error('apply failed', { cause: new Error('ECONNREFUSED') }),
      'apply failed: ECONNREFUSED',
    ],
    [
      'a cause already in the message',
      new Error('x: timeout', { cause: new Error('timeout') }),
      'x: timeout',
    ],
    ['a non-Error cause', new Error('outer', { cause: 42 }), 'outer: 42'],
    ['a cycle', cyclic(), 'b: a'],
  ])('%s', (_name, err, want) => {
    expect(errorMessage(err)).toBe(want);
  });

  it('reads a bounded chain', () => {
    let err = new Error('e0');
    for (let i = 1; i < 50; i++) err = new Error(`e${i}`, { cause: err });
    expect(errorChain(err)).toHaveLength(10);
  });
});

describe('API error classes', () => {
  it.each([
    [404, isNotFound],
    [409, isConflict],
    [422, isInvalid],
  ])('%i', (code, is) => {
    expect(is(new ApiError(code, 'r', 'm'))).toBe(true);
    expect(is(new ApiError(500, 'r', 'm'))).toBe(false);
    expect(is(new Error('m'))).toBe(false);
  });
});
