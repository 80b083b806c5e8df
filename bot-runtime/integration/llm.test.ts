import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { metricValue, postChat, startRuntimeWithLlm, type RuntimeWithLlm } from './support/runtime.js';

describe('LLM backend over real HTTP: timeout and circuit breaker', () => {
  let rt: RuntimeWithLlm;

  beforeAll(async () => {
    rt = await startRuntimeWithLlm({
      LLM_TIMEOUT_MS: '200',
      LLM_BREAKER_FAILURES: '3',
      LLM_BREAKER_COOLDOWN_MS: '60000',
    });
  });
  afterAll(async () => {
    await rt?.close();
  });

  it('answers from the LLM, falls back on timeouts, then stops calling it while the breaker is open', async () => {
    const ok = await postChat(rt.url, { message: 'tell me about quokkas' });
    expect(ok.body).toMatchObject({ source: 'llm', reply: 'llm:tell me about quokkas' });

    rt.llm.delayMs = 1000; // slower than LLM_TIMEOUT_MS
    for (let i = 0; i < 3; i++) {
      expect((await postChat(rt.url, { message: `slow question ${i}` })).body.source).toBe('fallback');
    }
    expect(await metricValue(rt.registry, 'chatfleet_llm_requests_total', { outcome: 'timeout' })).toBe(3);

    const callsBefore = rt.llm.calls;
    const rejected = await postChat(rt.url, { message: 'another question' });
    expect(rejected.body.source).toBe('fallback');
    expect(rt.llm.calls).toBe(callsBefore); // the open breaker did not call the backend
    expect(await metricValue(rt.registry, 'chatfleet_llm_requests_total', { outcome: 'circuit_open' })).toBe(
      1,
    );
  });
});
