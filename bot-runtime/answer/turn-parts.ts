import { randomUUID } from 'node:crypto';
import type { ConversationEvent } from '../events/conversation-event.js';
import type { TurnRecord } from '../sessions/session-store.js';
import type { ChatMessage } from './llm-client.js';
import type { Answer, TurnInput } from './turn-types.js';

/** The LLM prompt: the bundle's system line, the conversation so far, the question. */
export function llmMessages(modelName: string, history: TurnRecord[], message: string): ChatMessage[] {
  return [
    { role: 'system', content: `You are the assistant "${modelName}". Answer briefly and politely.` },
    ...history.flatMap((t): ChatMessage[] => [
      { role: 'user', content: t.message },
      { role: 'assistant', content: t.reply },
    ]),
    { role: 'user', content: message },
  ];
}

export interface TurnFacts {
  sessionId: string;
  turn: number;
  input: TurnInput;
  modelVersion: string;
  answer: Answer;
  at: number;
  latencyMs: number;
  includeText: boolean;
}

/** The chat.turn event of a finished turn; the texts only with EVENTS_INCLUDE_TEXT. */
export function turnEvent(f: TurnFacts): ConversationEvent {
  const event: ConversationEvent = {
    id: randomUUID(),
    type: 'chat.turn',
    at: new Date(f.at).toISOString(),
    sessionId: f.sessionId,
    turn: f.turn,
    userId: f.input.userId,
    modelVersion: f.modelVersion,
    intent: f.answer.intent,
    confidence: f.answer.confidence,
    source: f.answer.source,
    latencyMs: Math.round(f.latencyMs * 1000) / 1000,
  };
  if (f.includeText) Object.assign(event, { message: f.input.message, reply: f.answer.reply });
  return event;
}
