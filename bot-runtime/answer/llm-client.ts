import type { LlmConfig } from '../config.js';
import type { LlmMetrics } from '../metrics.js';
import { CircuitBreaker } from './circuit-breaker.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * `error` (5xx, connection errors) and `timeout` say the backend is unhealthy and count towards the
 * breaker; `rejected` (4xx: content filter, context too long, bad request) and `bad_reply` (a 2xx
 * without a usable answer) are that turn's failure only: the backend answered, so they never count.
 */
export type LlmOutcome = 'ok' | 'error' | 'timeout' | 'circuit_open' | 'rejected' | 'bad_reply';

/** Outcomes that fail one turn without saying anything about the backend's health. */
const TURN_ONLY: ReadonlySet<LlmOutcome> = new Set(['rejected', 'bad_reply']);

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

/** True for an LLM failure of this turn only (a 4xx or an unusable reply), not of the backend. */
export function isTurnOnlyFailure(err: unknown): boolean {
  return err instanceof LlmError && TURN_ONLY.has(err.outcome);
}

/** A reply of the backend that is not an answer; `outcome` says whether it speaks of its health. */
class LlmReplyError extends Error {
  override readonly name = 'LlmReplyError';
  constructor(
    readonly outcome: 'error' | 'rejected' | 'bad_reply',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

function failureOutcome(err: unknown): Exclude<LlmOutcome, 'ok' | 'circuit_open'> {
  if (err instanceof LlmReplyError) return err.outcome;
  // By name, not instanceof: the DOMException may come from another realm (e.g. under jest).
  return (err as { name?: unknown } | null)?.name === 'TimeoutError' ? 'timeout' : 'error';
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
    throw new LlmReplyError('bad_reply', 'response has no choices[0].message.content');
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
    private readonly metrics: LlmMetrics,
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
      const outcome = failureOutcome(err);
      if (TURN_ONLY.has(outcome)) this.breaker.neutral();
      else this.breaker.failure();
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
      // Only a 5xx is the backend's own trouble; a 4xx refused this request (content, size).
      const outcome = res.status >= 500 ? 'error' : 'rejected';
      throw new LlmReplyError(outcome, `LLM answered HTTP ${res.status}`);
    }
    return extractReply(await readJson(res));
  }
}

/** The reply body as JSON; a body that is not JSON is a bad reply, a broken stream stays an error. */
async function readJson(res: Response): Promise<unknown> {
  try {
    return await res.json();
  } catch (err) {
    if ((err as { name?: unknown } | null)?.name !== 'SyntaxError') throw err;
    throw new LlmReplyError('bad_reply', 'response is not JSON', { cause: err });
  }
}
