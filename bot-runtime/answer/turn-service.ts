import type { Logger } from 'pino';
import type { Model } from '../classifier/bundle.js';
import { normalise } from '../classifier/normalise.js';
import type { EventSink } from '../events/conversation-event.js';
import type { Metrics, Outcome, Source } from '../metrics.js';
import type { InflightLimiter } from '../overload/inflight.js';
import { newSessionId, ownerOf } from '../sessions/keys.js';
import type { SessionRef, SessionStore, SessionView } from '../sessions/session-store.js';
import type { TaskQueue } from '../tasks/task-queue.js';
import { isTurnOnlyFailure, type LlmBackend } from './llm-client.js';
import { StoreSteps, type RedisBudget } from './store-steps.js';
import { llmMessages, turnEvent, turnTasks } from './turn-parts.js';
import type { Answer, LlmAnswer, ShedReason, TurnInput, TurnOutcome } from './turn-types.js';

export interface TurnDeps {
  models: { readonly current: Model };
  store: SessionStore | undefined;
  llm: LlmBackend | undefined;
  events: EventSink;
  /** Background tasks (summaries, webhooks); the disabled queue without Kafka. */
  tasks: TaskQueue;
  limiter: InflightLimiter;
  metrics: Metrics;
  log: Logger;
  now: () => number;
  settings: { answerCacheTtlSeconds: number; eventsIncludeText: boolean; summarizeAfterTurns?: number };
  isDraining: () => boolean;
}

/**
 * The answer path of one chat turn, shared by HTTP and WebSocket. The intent model runs first
 * because it is in-process and deterministic per model version, and only answers it cannot give
 * are ever cached; so a confident intent answer is exactly what a cache-first lookup would have
 * returned, minus one Redis round trip. Below the threshold: answer cache, then LLM, then fallback.
 * Redis failures never fail a turn: they degrade it (no history, no cache) and are counted.
 */
export class TurnService {
  private readonly steps: StoreSteps;

  constructor(private readonly d: TurnDeps) {
    this.steps = new StoreSteps(d.store, d.metrics, d.log);
  }

  async handle(input: TurnInput): Promise<TurnOutcome> {
    const started = performance.now();
    const model = this.d.models.current;
    if (this.d.isDraining()) return this.shed('draining', model.version, started);
    if (!this.d.limiter.tryAcquire()) return this.shed('inflight', model.version, started);
    this.d.metrics.turnsInflight.inc();
    let outcome: Outcome = 'error';
    let source: Source = 'fallback';
    try {
      const budget: RedisBudget = { ok: input.redisOk !== false };
      const session: SessionRef = {
        id: input.sessionId ?? newSessionId(),
        owner: ownerOf(input.principal),
        isNew: input.sessionId === undefined,
      };
      const answer = await this.answer(model, session, input.message, budget);
      const turn = answer && (await this.record(session, model, input.message, answer, budget));
      if (!answer || turn === null) {
        outcome = 'not_found';
        this.d.metrics.sessionsNotFound.inc();
        return { kind: 'not_found' };
      }
      source = answer.source;
      this.emit(session.id, turn, input, model, answer, started);
      this.enqueueTasks(session.id, turn, model, answer);
      outcome = 'ok';
      const stored = turn > 0;
      if (!stored && this.d.store) this.d.metrics.turnsUnstored.inc();
      const reply = { sessionId: session.id, ...answer, modelVersion: model.version, turn, stored };
      return { kind: 'ok', reply };
    } finally {
      this.d.limiter.release();
      this.d.metrics.turnsInflight.dec();
      this.observe(model.version, source, outcome, started);
    }
  }

  private shed(reason: ShedReason, version: string, started: number): TurnOutcome {
    this.d.metrics.turnsShed.inc({ reason });
    this.observe(version, 'fallback', 'shed', started);
    return { kind: 'shed', reason };
  }

  private observe(version: string, source: Source, outcome: Outcome, started: number): void {
    const seconds = (performance.now() - started) / 1000;
    this.d.metrics.turnDuration.observe({ model_version: version, source, outcome }, seconds);
  }

  /** The turn's answer; null when the session turned out not to be the caller's. */
  private async answer(
    model: Model,
    session: SessionRef,
    message: string,
    budget: RedisBudget,
  ): Promise<Answer | null> {
    const question = normalise(message);
    const intent = model.answer(question);
    if (intent.reply !== undefined) return { ...intent, reply: intent.reply, source: 'intent' };
    const base = { intent: intent.intent, confidence: intent.confidence };
    // one digest per turn, for the lookup and the store (no store: both steps are skipped)
    const cacheKey = this.d.store?.keys.answer(model.version, question) ?? '';
    const cached = await this.cached(cacheKey, budget);
    if (cached !== null) return { ...base, reply: cached, source: 'cache' };
    const llm = await this.askLlm(model, session, message, budget);
    if (llm === null) return null;
    if (llm === undefined) return { ...base, reply: model.fallbackReply, source: 'fallback' };
    this.shareIfContextFree(cacheKey, llm, budget);
    return { ...base, reply: llm.reply, source: 'llm' };
  }

  /**
   * The answer cache is shared by every session, so it only ever holds context-free answers: the
   * LLM saw nothing but the bundle's system prompt and the question (the first turn of a
   * conversation). An answer that used a conversation's history could carry its private context
   * ("what is my IBAN") to whoever asks the same question next.
   */
  private shareIfContextFree(key: string, llm: LlmAnswer, budget: RedisBudget): void {
    if (llm.usedHistory) return this.d.metrics.cacheSkips.inc({ reason: 'history' });
    if (!budget.ok) return this.d.metrics.cacheSkips.inc({ reason: 'redis_unavailable' });
    this.steps.fireAndForget('cache_put', (store) =>
      store.putCachedAnswer(key, llm.reply, this.d.settings.answerCacheTtlSeconds),
    );
  }

  private async cached(key: string, budget: RedisBudget): Promise<string | null> {
    return this.steps.run(budget, 'cache_get', null, async (store) => {
      const hit = await store.getCachedAnswer(key);
      this.d.metrics.cacheRequests.inc({ result: hit === null ? 'miss' : 'hit' });
      return hit;
    });
  }

  /**
   * The LLM's answer; undefined when it gave none (fallback), null when the session is not the
   * caller's (checked before the LLM sees anything). A new session has no history to read.
   */
  private async askLlm(
    model: Model,
    session: SessionRef,
    message: string,
    budget: RedisBudget,
  ): Promise<LlmAnswer | null | undefined> {
    if (!this.d.llm) return undefined;
    // fallback context: without Redis the LLM answers without the conversation so far
    const none: Pick<SessionView, 'turns' | 'summary'> = { turns: [] };
    const view = session.isNew
      ? none
      : await this.steps.run<Pick<SessionView, 'turns' | 'summary'> | null>(
          budget,
          'history',
          none,
          (store) => store.view(session),
        );
    if (view === null) return null;
    const history = view.turns;
    const sessionId = session.id;
    const messages = llmMessages(model.name, history, message, view.summary);
    try {
      return {
        reply: await this.d.llm.complete(messages),
        usedHistory: history.length > 0 || view.summary !== undefined,
      };
    } catch (err) {
      // A refused prompt is routine (and a caller can repeat it at will): info, not warn.
      if (isTurnOnlyFailure(err))
        this.d.log.info({ err, sessionId }, 'LLM refused this turn; fallback reply');
      else this.d.log.warn({ err, sessionId }, 'LLM unavailable; answering with the fallback reply');
      return undefined;
    }
  }

  /**
   * Stores the turn; resolves its sequence number, 0 when the session store is unavailable, null
   * when the session is not the caller's.
   */
  private async record(
    session: SessionRef,
    model: Model,
    message: string,
    answer: Answer,
    budget: RedisBudget,
  ): Promise<number | null> {
    return this.steps.run<number | null>(budget, 'append', 0, (store) =>
      store.appendTurn(session, {
        at: new Date(this.d.now()).toISOString(),
        message,
        reply: answer.reply,
        intent: answer.intent,
        confidence: answer.confidence,
        source: answer.source,
        modelVersion: model.version,
      }),
    );
  }

  private enqueueTasks(sessionId: string, turn: number, model: Model, answer: Answer): void {
    if (!this.d.tasks.enabled) return;
    const tasks = turnTasks({
      sessionId,
      turn,
      answer,
      modelVersion: model.version,
      at: this.d.now(),
      action: model.actionOf(answer.intent),
      summarizeAfterTurns: this.d.settings.summarizeAfterTurns,
    });
    for (const task of tasks) this.d.tasks.enqueue(task);
  }

  private emit(
    sessionId: string,
    turn: number,
    input: TurnInput,
    model: Model,
    answer: Answer,
    started: number,
  ): void {
    if (!this.d.events.enabled) return;
    const event = turnEvent({
      sessionId,
      turn,
      input,
      modelVersion: model.version,
      answer,
      at: this.d.now(),
      latencyMs: performance.now() - started,
      includeText: this.d.settings.eventsIncludeText,
    });
    this.d.events.publish(event);
  }
}
