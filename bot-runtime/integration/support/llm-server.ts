import Fastify, { type FastifyInstance } from 'fastify';

/**
 * A tiny OpenAI-compatible server on 127.0.0.1: a real HTTP peer for the runtime's LLM client.
 * It answers "llm:<last user message>" after `delayMs` (or after N ms when the message contains
 * "delay<N>", so a test can set each turn's duration), and counts calls. A message containing
 * "!NNN!" (e.g. "!400!") gets that HTTP status with an OpenAI-style error body instead, one containing
 * "noanswer" a 200 without choices; the answer to one containing "echoback" repeats the earlier user
 * messages it was sent.
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
    async (req, reply) => {
      state.calls += 1;
      const last = req.body.messages.at(-1)?.content ?? '';
      const status = Number(/!(\d{3})!/.exec(last)?.[1] ?? 200);
      if (status !== 200) return reply.code(status).send({ error: { message: 'refused', code: status } });
      if (last.includes('noanswer')) return { choices: [] };
      const delayMs = Number(/delay(\d+)/.exec(last)?.[1] ?? state.delayMs);
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      // "echoback": the answer repeats the conversation's earlier user messages (what a real LLM may leak)
      const earlier = req.body.messages.slice(1, -1).filter((m) => m.role === 'user');
      const recalled = last.includes('echoback')
        ? ` | recalled: ${earlier.map((m) => m.content).join(' / ')}`
        : '';
      return { choices: [{ index: 0, message: { role: 'assistant', content: `llm:${last}${recalled}` } }] };
    },
  );
  state.url = await app.listen({ port: 0, host: '127.0.0.1' });
  return state;
}
