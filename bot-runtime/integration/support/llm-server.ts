import Fastify, { type FastifyInstance } from 'fastify';

/**
 * A tiny OpenAI-compatible server on 127.0.0.1: a real HTTP peer for the runtime's LLM client.
 * It answers "llm:<last user message>" after `delayMs`, and counts calls.
 */
export interface FakeLlm {
  url: string;
  calls: number;
  delayMs: number;
  close: () => Promise<void>;
}

export async function startFakeLlm(delayMs = 0): Promise<FakeLlm> {
  const app: FastifyInstance = Fastify({ logger: false });
  const state: FakeLlm = { url: '', calls: 0, delayMs, close: () => app.close() };
  app.post<{ Body: { messages: { role: string; content: string }[] } }>(
    '/v1/chat/completions',
    async (req) => {
      state.calls += 1;
      if (state.delayMs > 0) await new Promise((r) => setTimeout(r, state.delayMs));
      const last = req.body.messages.at(-1)?.content ?? '';
      return { choices: [{ index: 0, message: { role: 'assistant', content: `llm:${last}` } }] };
    },
  );
  state.url = await app.listen({ port: 0, host: '127.0.0.1' });
  return state;
}
