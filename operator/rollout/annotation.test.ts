import { describe, expect, it } from '@jest/globals';
import { ACTION_VERBS, actionValue, freshNonce } from './annotation.js';
import { parseAction } from './core/index.js';

describe('the rollout-action annotation', () => {
  it.each(ACTION_VERBS.map((v) => [v]))('%s@<fresh nonce> parses back to the same verb and nonce', (verb) => {
    const nonce = freshNonce(new Date('2026-12-01T10:00:00Z'), Buffer.from([1, 2, 3, 4]));
    expect(nonce).toBe(`${Date.parse('2026-12-01T10:00:00Z').toString(36)}-01020304`);
    expect(parseAction(actionValue(verb, nonce))).toEqual({ verb, nonce, raw: `${verb}@${nonce}` });
  });

  it('makes a different nonce each time', () => {
    const now = new Date();
    expect(freshNonce(now)).not.toBe(freshNonce(now));
  });

  it.each([['rollback@1'], ['abort@'], ['abort@ x'], ['abort@' + 'x'.repeat(90)], ['ABORT@1'], ['']])(
    'ignores %j',
    (value) => {
      expect(parseAction(value)).toBeUndefined();
    },
  );
});
