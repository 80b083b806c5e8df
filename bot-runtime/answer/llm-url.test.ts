import { describe, expect, it } from '@jest/globals';
import { completionsUrl } from './llm-client.js';

/** LLM_ENDPOINT as an operator may write it -> the URL the runtime posts to. */
const endpoints: Record<string, string> = {
  'http://llm:8000': 'http://llm:8000/v1/chat/completions',
  'http://llm:8000/': 'http://llm:8000/v1/chat/completions',
  'http://llm:8000/v1': 'http://llm:8000/v1/chat/completions',
  'http://llm/v1/chat/completions': 'http://llm/v1/chat/completions',
};

describe('completionsUrl', () => {
  it.each(Object.entries(endpoints))('%s -> %s', (endpoint, url) => {
    expect(completionsUrl(endpoint)).toBe(url);
  });
});
