import type { ChatMessage, LlmBackend } from '../answer/llm-client.js';
import { MAX_SUMMARY_CHARS } from '../answer/turn-parts.js';
import { errorMessage } from '../errors.js';
import type { SummarySource, SummaryStore } from '../sessions/summary-store.js';
import type { TurnRecord } from '../sessions/session-store.js';
import type { Task } from '../tasks/task.js';
import type { AttemptOutcome } from './retry.js';

type SummarizeTask = Extract<Task, { type: 'summarize' }>;

/**
 * The summarising prompt: the summary so far (a rolling summary: each one covers every turn before
 * it) and the turns after it, up to the task's turn. Pure.
 */
export function summaryPrompt(previous: string, turns: TurnRecord[]): ChatMessage[] {
  const transcript = turns.map((t) => `User: ${t.message}\nAssistant: ${t.reply}`).join('\n');
  const earlier = previous === '' ? '' : `Summary of the conversation before these turns:\n${previous}\n\n`;
  return [
    {
      role: 'system',
      content:
        'Summarise this customer conversation for the assistant that continues it: the facts, ' +
        'requests and open questions, in at most 120 words. Reply with the summary only.',
    },
    { role: 'user', content: `${earlier}Turns:\n${transcript}` },
  ];
}

/** The turns a summary through `through` adds to one ending at `source.through`. Pure. */
export function turnsToSummarise(source: SummarySource, through: number): TurnRecord[] {
  return source.turns.filter((t) => t.seq > source.through && t.seq <= through);
}

/**
 * One attempt at a summarize task. The write is a compare-and-set on the summary's end, so a
 * repeat (redelivery, a second worker) is a duplicate and a race with a newer summary is retried
 * from a fresh read; the turns list is never written, so turns that arrived meanwhile all stay.
 */
export async function runSummarize(
  task: SummarizeTask,
  store: SummaryStore,
  llm: LlmBackend | undefined,
): Promise<AttemptOutcome> {
  if (!llm) return { kind: 'permanent', reason: 'the worker has no LLM_ENDPOINT' };
  let source: SummarySource | null;
  try {
    source = await store.source(task.sessionId);
  } catch (err) {
    return { kind: 'retryable', reason: `redis: ${errorMessage(err)}` };
  }
  if (source === null || source.through >= task.throughSeq) return { kind: 'duplicate' };
  const turns = turnsToSummarise(source, task.throughSeq);
  if (turns.length === 0) return { kind: 'duplicate' }; // nothing left to summarise (trimmed or erased)
  let text: string;
  try {
    text = (await llm.complete(summaryPrompt(source.previous, turns))).slice(0, MAX_SUMMARY_CHARS);
  } catch (err) {
    return { kind: 'retryable', reason: `llm: ${errorMessage(err)}` };
  }
  try {
    const written = await store.write(task.sessionId, {
      text,
      through: task.throughSeq,
      expectedThrough: source.through,
      taskId: task.id,
    });
    if (written === 'conflict') return { kind: 'retryable', reason: 'a newer summary was written meanwhile' };
    return { kind: written === 'done' ? 'done' : 'duplicate' };
  } catch (err) {
    return { kind: 'retryable', reason: `redis: ${errorMessage(err)}` };
  }
}
