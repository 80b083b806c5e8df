import { describe, expect, it } from '@jest/globals';
import { parseTask as parseWith, taskTypeLabel, type TaskLimits } from './task.js';

const LIMITS: TaskLimits = { maxQuestionBytes: 20, maxAnswerBytes: 30 };
const parseTask = (value: Buffer | null) => parseWith(value, LIMITS);

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

  it.each<[string, unknown, RegExp]>([
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
    [
      'cache.put with a question over the chat message limit',
      { id: '1', type: 'cache.put', modelVersion: 'v', question: 'q'.repeat(21), answer: 'a' },
      /question over 20 bytes/,
    ],
    [
      'cache.put with a question over the limit in UTF-8 bytes, not characters',
      { id: '1', type: 'cache.put', modelVersion: 'v', question: 'é'.repeat(11), answer: 'a' },
      /question over 20 bytes/,
    ],
    [
      'cache.put with an answer over its cap',
      { id: '1', type: 'cache.put', modelVersion: 'v', question: 'q', answer: 'a'.repeat(31) },
      /answer over 30 bytes/,
    ],
    ['session.delete without session', { id: '1', type: 'session.delete' }, /sessionId/],
    ['summarize without session', { id: '1', type: 'summarize', throughSeq: 4 }, /sessionId/],
    [
      'summarize with throughSeq 0',
      { id: '1', type: 'summarize', sessionId: 's', throughSeq: 0 },
      /throughSeq/,
    ],
    [
      'summarize with a string throughSeq',
      { id: '1', type: 'summarize', sessionId: 's', throughSeq: '4' },
      /throughSeq/,
    ],
    ...['session.delete', 'summarize', 'webhook'].flatMap((type): [string, unknown, RegExp][] => [
      [
        `${type} with a session id outside the pattern`,
        { id: '1', type, sessionId: 'a b{x}', throughSeq: 4, webhook: 'crm', intent: 'i' },
        /sessionId must match/,
      ],
      [
        `${type} with a 65-character session id`,
        { id: '1', type, sessionId: 's'.repeat(65), throughSeq: 4, webhook: 'crm', intent: 'i' },
        /sessionId must match/,
      ],
      [
        `${type} with a numeric session id`,
        { id: '1', type, sessionId: 7, throughSeq: 4, webhook: 'crm', intent: 'i' },
        /sessionId/,
      ],
    ]),
    ['webhook without a name', { id: '1', type: 'webhook', sessionId: 's', intent: 'i' }, /webhook/],
    ['with an id over 512 characters', { id: 'x'.repeat(513), type: 'session.delete', sessionId: 's' }, /id/],
  ])('rejects a task %s', (_n, value, reason) => {
    const r = parseTask(buf(value));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(reason);
  });

  it('accepts a question and an answer at their limits', () => {
    const put = {
      id: '1',
      type: 'cache.put',
      modelVersion: 'v',
      question: 'é'.repeat(10),
      answer: 'a'.repeat(30),
    };
    expect(parseTask(buf(put)).ok).toBe(true);
  });

  it('parses summarize and webhook', () => {
    expect(parseTask(buf({ id: '3', type: 'summarize', sessionId: 's', throughSeq: 10 }))).toEqual({
      ok: true,
      task: { id: '3', type: 'summarize', sessionId: 's', throughSeq: 10 },
    });
    const hook = { id: '4', type: 'webhook', webhook: 'crm', sessionId: 's', intent: 'handoff', turn: 3 };
    expect(parseTask(buf({ ...hook, modelVersion: 'v1', at: 'now', extra: 1 }))).toEqual({
      ok: true,
      task: { ...hook, modelVersion: 'v1', at: 'now' },
    });
  });

  it('labels a task by type, and anything unparseable as unknown', () => {
    expect(taskTypeLabel(parseTask(buf({ id: '2', type: 'session.delete', sessionId: 's' })))).toBe(
      'session.delete',
    );
    expect(taskTypeLabel(parseTask(buf({ id: '2', type: 'evil' })))).toBe('unknown');
  });

  it('rejects an empty message', () => {
    expect(parseTask(null).ok).toBe(false);
  });
});
