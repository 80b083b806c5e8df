import type { Source } from '../metrics.js';

/** What a turn takes and gives, for the turn service, the rollout router and the routes. */

export interface TurnInput {
  message: string;
  /** A session the client continues; undefined starts a new one (the server makes its id). */
  sessionId: string | undefined;
  /** The authenticated principal (`key:<name>`, `jwt:<sub>`); undefined while auth is off. */
  principal: string | undefined;
  /** The body's userId: an unverified hint, only carried into events. */
  userId: string | undefined;
  /** False when this turn already spent its Redis budget (the rollout pin read failed). */
  redisOk?: boolean;
}

export interface TurnReply {
  sessionId: string;
  reply: string;
  intent: string;
  confidence: number;
  source: Source;
  modelVersion: string;
  turn: number;
  /**
   * False when the turn could not be recorded (Redis failed or is not configured): said, not
   * hidden. Always set here; optional because a pod of an older version does not send it.
   */
  stored?: boolean;
}

export type ShedReason = 'inflight' | 'rate_limit' | 'draining';
/** `not_found`: the session does not exist or is not the caller's (one answer for both: 404). */
export type TurnOutcome =
  { kind: 'ok'; reply: TurnReply } | { kind: 'shed'; reason: ShedReason } | { kind: 'not_found' };

export interface LlmAnswer {
  reply: string;
  /** The LLM saw earlier turns of the conversation: the answer is private to it. */
  usedHistory: boolean;
}

export interface Answer {
  reply: string;
  intent: string;
  confidence: number;
  source: Source;
}
