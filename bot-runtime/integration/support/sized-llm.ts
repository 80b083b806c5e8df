import Fastify from 'fastify';

/**
 * An OpenAI-compatible LLM stub on 127.0.0.1 whose latency grows with the prompt, as a real
 * model's prefill does: `baseMs + msPerKiB * prompt KiB`. It records each prompt's size, so a
 * test can compare prompts and latencies with and without summaries. A prompt that asks for a
 * summary ("Summarise this") is answered with a short fixed-size summary naming how many turns it saw.
 */
export interface SizedLlm {
  url: string;
  /** Bytes of the JSON messages of each chat (non-summary) call, in order. */
  chatPrompts: number[];
  summaryCalls: number;
  /** Extra wait of summary calls (a test holds a summary back while turns arrive). */
  summaryDelayMs: number;
  close: () => Promise<void>;
}

export async function startSizedLlm(baseMs: number, msPerKiB: number): Promise<SizedLlm> {
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });
  const state: SizedLlm = {
    url: '',
    chatPrompts: [],
    summaryCalls: 0,
    summaryDelayMs: 0,
    close: () => app.close(),
  };
  app.post<{ Body: { messages: { role: string; content: string }[] } }>(
    '/v1/chat/completions',
    async (req) => {
      const { messages } = req.body;
      const bytes = Buffer.byteLength(JSON.stringify(messages));
      const summary = messages[0]?.content.startsWith('Summarise this') === true;
      if (summary) state.summaryCalls += 1;
      else state.chatPrompts.push(bytes);
      const wait = baseMs + (msPerKiB * bytes) / 1024 + (summary ? state.summaryDelayMs : 0);
      await new Promise((r) => setTimeout(r, wait));
      const turns = (messages.at(-1)?.content.match(/^User: /gm) ?? []).length;
      const content = summary
        ? `summary of ${turns} turns: the customer asked about orders.`
        : `llm reply ${'x'.repeat(80)}`;
      return { choices: [{ index: 0, message: { role: 'assistant', content } }] };
    },
  );
  state.url = await app.listen({ port: 0, host: '127.0.0.1' });
  return state;
}
