import type { Source } from '../metrics.js';

/** The event produced for every chat turn (Kafka key = sessionId, so a session stays ordered). */
export interface ConversationEvent {
  id: string; // unique per turn: consumers deduplicate on it (delivery is at least once)
  type: 'chat.turn';
  at: string;
  sessionId: string;
  turn: number; // sequence number within the session (0 when Redis was unavailable)
  userId: string | undefined;
  modelVersion: string;
  intent: string;
  confidence: number;
  source: Source;
  latencyMs: number;
  message?: string; // only with EVENTS_INCLUDE_TEXT=true
  reply?: string;
}

/** Where turns publish events; the Kafka publisher or a no-op when Kafka is not configured. */
export interface EventSink {
  publish(event: ConversationEvent): void;
  /** Sends what is buffered, bounded by timeoutMs; then releases the connection. */
  close(timeoutMs: number): Promise<void>;
  readonly enabled: boolean;
  readonly connected: boolean;
}

export const disabledEventSink: EventSink = {
  publish: () => undefined,
  close: () => Promise.resolve(),
  enabled: false,
  connected: false,
};
