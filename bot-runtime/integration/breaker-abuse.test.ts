import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { metricValue, postChat, startRuntimeWithLlm, type RuntimeWithLlm } from './support/runtime.js';

/**
 * Attack: a caller sends prompts the LLM refuses (400: content filter, context too long) to open
 * the one circuit breaker every user shares. Against a real OpenAI-compatible server on loopback,
 * refused prompts get the fallback, count as `rejected`, and never open the breaker; only 5xx,
 * timeouts and connection errors do.
 */
describe('breaker abuse with 4xx', () => {
  let rt: RuntimeWithLlm;
  const llmOutcome = (outcome: string): Promise<number> =>
    metricValue(rt.registry, 'chatfleet_llm_requests_total', { outcome });

  beforeAll(async () => {
    rt = await startRuntimeWithLlm({
      LLM_TIMEOUT_MS: '1000',
      LLM_BREAKER_FAILURES: '5',
      LLM_BREAKER_COOLDOWN_MS: '60000',
    });
  });
  afterAll(async () => {
    await rt?.close();
  });

  it('50 prompts the LLM answers 400 leave the breaker closed; the next good prompt is answered by the LLM', async () => {
    for (let i = 0; i < 50; i++) {
      const res = await postChat(rt.url, { message: `forbidden prompt ${i} !400!` });
      expect(res.status).toBe(200);
      expect(res.body.source).toBe('fallback');
    }
    for (let i = 0; i < 5; i++) {
      // other 4xx and replies without an answer are that turn's failure too
      const marker = ['!413!', '!422!', '!429!', 'noanswer', '!404!'][i];
      expect((await postChat(rt.url, { message: `odd prompt ${i} ${marker}` })).body.source).toBe('fallback');
    }
    expect(await llmOutcome('rejected')).toBe(54);
    expect(await llmOutcome('bad_reply')).toBe(1);
    expect(await llmOutcome('circuit_open')).toBe(0);
    expect(rt.llm.calls).toBe(55); // every refused prompt reached the backend: none was cut by the breaker

    const good = await postChat(rt.url, { message: 'tell me about wombats' });
    expect(good.body).toMatchObject({ source: 'llm', reply: 'llm:tell me about wombats' });
  });

  it('4xx between real failures do not reset their count: 5 consecutive 5xx still open it', async () => {
    for (let i = 0; i < 5; i++) {
      await postChat(rt.url, { message: `llm outage ${i} !503!` });
      await postChat(rt.url, { message: `refused between ${i} !400!` });
    }
    expect(await llmOutcome('error')).toBe(5);
    const callsBefore = rt.llm.calls;
    const res = await postChat(rt.url, { message: 'tell me about numbats' });
    expect(res.body.source).toBe('fallback');
    expect(rt.llm.calls).toBe(callsBefore); // open: the backend was not called
    expect(await llmOutcome('circuit_open')).toBeGreaterThanOrEqual(1);
  });
});
