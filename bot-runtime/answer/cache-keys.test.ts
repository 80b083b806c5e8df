import { describe, expect, it } from '@jest/globals';
import { normalise } from '../classifier/normalise.js';
import { rateLimitKey, sessionKeys, taskDoneKey, isValidSessionId } from '../sessions/keys.js';
import { answerCacheKey } from './cache-keys.js';
import { completionsUrl } from './llm-client.js';

describe('answerCacheKey', () => {
  it('is the same for questions with the same normalised form', () => {
    expect(answerCacheKey('v1', normalise('Is delivery free?'))).toBe(
      answerCacheKey('v1', normalise('is DELIVERY free')),
    );
  });

  it('differs per model version, so versions never share answers', () => {
    expect(answerCacheKey('v1', 'q')).not.toBe(answerCacheKey('v2', 'q'));
    expect(answerCacheKey('v1', 'q')).toMatch(/^cf:ans:v1:/);
  });

  it('differs per question and keeps odd versions inside their segment', () => {
    expect(answerCacheKey('v1', 'a')).not.toBe(answerCacheKey('v1', 'b'));
    expect(answerCacheKey('a:b', 'q')).not.toBe(answerCacheKey('a', 'b:q'));
  });

  it('has no hash tag, so entries spread over cluster shards', () => {
    expect(answerCacheKey('v1', 'q')).not.toMatch(/[{}]/);
  });
});

describe('session keys', () => {
  it('share one hash tag per session (one Cluster slot for the Lua append)', () => {
    const k = sessionKeys('abc');
    expect(k.turns).toBe('cf:{sess:abc}:turns');
    expect(k.seq).toBe('cf:{sess:abc}:seq');
  });

  it.each([
    ['abc-DEF_123', true],
    ['a'.repeat(64), true],
    ['a'.repeat(65), false],
    ['', false],
    ['a}b', false],
    ['a b', false],
    ['../x', false],
  ])('session id %j valid=%s', (id, ok) => {
    expect(isValidSessionId(id)).toBe(ok);
  });

  it('hashes user ids into rate-limit keys and task ids into done keys', () => {
    expect(rateLimitKey('alice', 120)).toMatch(/^cf:\{rl:[A-Za-z0-9_-]{22}\}:120$/);
    expect(rateLimitKey('alice', 120)).not.toBe(rateLimitKey('bob', 120));
    expect(taskDoneKey('t1')).not.toBe(taskDoneKey('t2'));
  });
});

describe('completionsUrl', () => {
  it.each([
    ['http://llm:8000', 'http://llm:8000/v1/chat/completions'],
    ['http://llm:8000/', 'http://llm:8000/v1/chat/completions'],
    ['http://llm:8000/v1', 'http://llm:8000/v1/chat/completions'],
    ['http://llm/v1/chat/completions', 'http://llm/v1/chat/completions'],
  ])('%s -> %s', (endpoint, url) => {
    expect(completionsUrl(endpoint)).toBe(url);
  });
});
