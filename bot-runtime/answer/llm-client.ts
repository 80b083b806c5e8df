import type { LlmConfig } from '../config.js';
import type { Metrics } from '../metrics.js';
import { CircuitBreaker } from './circuit-breaker.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export type LlmOutcome = 'ok' | 'error' | 'timeout' | 'circuit_open';

export class LlmError extends Error {
  override readonly name = 'LlmError';
  constructor(
    readonly outcome: Exclude<LlmOutcome, 'ok'>,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface LlmBackend {
  complete(messages: ChatMessage[]): Promise<string>;
}

/** LLM_ENDPOINT may be a base URL (http://vllm:8000 or .../v1) or the full completions URL. */
export function completionsUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, '');
  if (base.endsWith('/chat/completions')) return base;
  if (base.endsWith('/v1')) return `${base}/chat/completions`;
  return `${base}/v1/chat/completions`;
}

function extractReply(body: unknown): string {
  const choices = (body as { choices?: { message?: { content?: unknown } }[] } | null)?.choices;
  const content = choices?.[0]?.message?.content;
  if (typeof content !== 'string' || content.trim() === '')
    throw new Error('response has no choices[0].message.content');
  return content.trim();
}

/**
 * OpenAI-compatible /v1/chat/completions client with a per-call timeout and a circuit breaker:
 * when the backend keeps failing, turns stop waiting on it and go straight to the fallback.
 */
export class OpenAiCompatibleLlm implements LlmBackend {
  private readonly url: string;
  readonly breaker: CircuitBreaker;

  constructor(
    private readonly cfg: LlmConfig,
    private readonly metrics: Metrics,
    now: () => number = Date.now,
  ) {
    this.url = completionsUrl(cfg.endpoint);
    this.breaker = new CircuitBreaker({
      failureThreshold: cfg.breakerFailureThreshold,
      cooldownMs: cfg.breakerCooldownMs,
      now,
    });
  }

  async complete(messages: ChatMessage[]): Promise<string> {
    if (!this.breaker.tryAcquire()) {
      this.metrics.llmRequests.inc({ outcome: 'circuit_open' });
      throw new LlmError('circuit_open', 'LLM circuit breaker is open');
    }
    const stop = this.metrics.llmDuration.startTimer();
    try {
      const reply = await this.call(messages);
      this.breaker.success();
      this.metrics.llmRequests.inc({ outcome: 'ok' });
      return reply;
    } catch (err) {
      this.breaker.failure();
      // By name, not instanceof: the DOMException may come from another realm (e.g. under jest).
      const outcome = (err as { name?: unknown } | null)?.name === 'TimeoutError' ? 'timeout' : 'error';
      this.metrics.llmRequests.inc({ outcome });
      throw new LlmError(outcome, `LLM call failed (${outcome})`, { cause: err });
    } finally {
      stop();
    }
  }

  private async call(messages: ChatMessage[]): Promise<string> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.cfg.apiKey) headers.authorization = `Bearer ${this.cfg.apiKey}`;
    const res = await fetch(this.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: this.cfg.model, messages, max_tokens: 256 }),
      signal: AbortSignal.timeout(this.cfg.timeoutMs),
    });
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`LLM answered HTTP ${res.status}`);
    }
    return extractReply(await res.json());
  }
}
