import { describe, expect, it } from '@jest/globals';
import { completionsUrl } from './llm-client.js';

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
