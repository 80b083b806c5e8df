import { describe, expect, it } from '@jest/globals';
import { parseTask } from './tasks.js';

const buf = (v: unknown): Buffer => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

describe('parseTask', () => {
  it('parses cache.put and session.delete', () => {
    expect(
      parseTask(buf({ id: '1', type: 'cache.put', modelVersion: 'v1', question: 'q', answer: 'a' })),
    ).toEqual({
      ok: true,
      task: {
        id: '1',
        type: 'cache.put',
        modelVersion: 'v1',
        question: 'q',
        answer: 'a',
        ttlSeconds: undefined,
      },
    });
    expect(parseTask(buf({ id: '2', type: 'session.delete', sessionId: 's' }))).toEqual({
      ok: true,
      task: { id: '2', type: 'session.delete', sessionId: 's' },
    });
  });

  it.each([
    ['not JSON', '{', /JSON/],
    ['an array', [], /object/],
    ['without id', { type: 'cache.put' }, /id/],
    ['of unknown type', { id: '1', type: 'x' }, /unknown/],
    ['cache.put without answer', { id: '1', type: 'cache.put', modelVersion: 'v', question: 'q' }, /answer/],
    [
      'cache.put with bad ttl',
      { id: '1', type: 'cache.put', modelVersion: 'v', question: 'q', answer: 'a', ttlSeconds: -1 },
      /ttl/,
    ],
    ['session.delete without session', { id: '1', type: 'session.delete' }, /sessionId/],
  ])('rejects a task %s', (_n, value, reason) => {
    const r = parseTask(buf(value));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(reason);
  });

  it('rejects an empty message', () => {
    expect(parseTask(null).ok).toBe(false);
  });
});
