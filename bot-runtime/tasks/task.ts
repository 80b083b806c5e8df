import { SESSION_ID_PATTERN, isValidSessionId } from '../sessions/keys.js';

/**
 * Background tasks on the tasks topic (JSON values): what chat pods enqueue and workers run.
 * Parsing is pure and total: a malformed task is reported (the worker sends it to the DLQ), never
 * retried forever (it would block its partition).
 */
export type Task =
  | {
      id: string;
      type: 'cache.put';
      modelVersion: string;
      question: string;
      answer: string;
      ttlSeconds?: number;
    }
  | { id: string; type: 'session.delete'; sessionId: string }
  /** Summarise the session's turns up to `throughSeq` (the turn that crossed the threshold). */
  | { id: string; type: 'summarize'; sessionId: string; throughSeq: number }
  /** POST the turn's facts (never its text) to the webhook named `webhook` (WORKER_WEBHOOKS). */
  | {
      id: string;
      type: 'webhook';
      webhook: string;
      sessionId: string;
      intent: string;
      turn: number;
      modelVersion: string;
      at: string;
    };

export type TaskType = Task['type'];

/** A cached answer's cap (docs/tasks.md): the cache serves it to every asker of the question. */
export const MAX_CACHED_ANSWER_BYTES = 64 * 1024;

/** Bounds on a task's texts, from the runtime config: a question longer than a chat message could never be asked. */
export interface TaskLimits {
  /** MAX_MESSAGE_BYTES: the longest chat message. */
  maxQuestionBytes: number;
  maxAnswerBytes: number;
}

export type ParsedTask = { ok: true; task: Task } | { ok: false; reason: string };

type Obj = Record<string, unknown>;

/** Why a task's sessionId is refused, or undefined when it is a valid session id (it becomes a Redis key). */
function badSessionId(o: Obj): string | undefined {
  const v = o.sessionId;
  if (v === undefined || v === '') return 'missing sessionId';
  return typeof v === 'string' && isValidSessionId(v)
    ? undefined
    : `sessionId must match ${SESSION_ID_PATTERN}`;
}

/** Task ids and names end up in Redis keys, headers and logs: bounded. */
const MAX_FIELD_CHARS = 512;

function str(o: Obj, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' && v !== '' && v.length <= MAX_FIELD_CHARS ? v : undefined;
}

function positiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
}

/** UTF-8 bytes over `max`; the length test first (bytes are never fewer than UTF-16 units), so a huge text is not encoded. */
function overBytes(text: string, max: number): boolean {
  return text.length > max || Buffer.byteLength(text, 'utf8') > max;
}

function parseCachePut(o: Obj, id: string, limits: TaskLimits): ParsedTask {
  const modelVersion = str(o, 'modelVersion');
  const question = typeof o.question === 'string' && o.question !== '' ? o.question : undefined;
  const answer = typeof o.answer === 'string' && o.answer !== '' ? o.answer : undefined;
  if (!modelVersion || !question || !answer)
    return { ok: false, reason: 'cache.put needs modelVersion, question, answer' };
  if (overBytes(question, limits.maxQuestionBytes))
    return { ok: false, reason: `question over ${limits.maxQuestionBytes} bytes (MAX_MESSAGE_BYTES)` };
  if (overBytes(answer, limits.maxAnswerBytes))
    return { ok: false, reason: `answer over ${limits.maxAnswerBytes} bytes` };
  const ttl = o.ttlSeconds;
  if (ttl !== undefined && !positiveInt(ttl)) {
    return { ok: false, reason: 'ttlSeconds must be a positive integer' };
  }
  return { ok: true, task: { id, type: 'cache.put', modelVersion, question, answer, ttlSeconds: ttl } };
}

function parseSummarize(o: Obj, id: string): ParsedTask {
  const bad = badSessionId(o);
  if (bad) return { ok: false, reason: bad };
  if (!positiveInt(o.throughSeq)) return { ok: false, reason: 'throughSeq must be a positive integer' };
  return {
    ok: true,
    task: { id, type: 'summarize', sessionId: o.sessionId as string, throughSeq: o.throughSeq },
  };
}

function parseWebhook(o: Obj, id: string): ParsedTask {
  const webhook = str(o, 'webhook');
  const sessionId = str(o, 'sessionId');
  const intent = str(o, 'intent');
  const modelVersion = str(o, 'modelVersion') ?? '';
  const at = str(o, 'at') ?? '';
  if (!webhook || !sessionId || !intent)
    return { ok: false, reason: 'webhook needs webhook, sessionId, intent' };
  const bad = badSessionId(o);
  if (bad) return { ok: false, reason: bad };
  const turn = typeof o.turn === 'number' && Number.isSafeInteger(o.turn) && o.turn >= 0 ? o.turn : 0;
  return { ok: true, task: { id, type: 'webhook', webhook, sessionId, intent, turn, modelVersion, at } };
}

function parseObject(value: Buffer | null): Obj | string {
  let doc: unknown;
  try {
    doc = JSON.parse(value?.toString('utf8') ?? '');
  } catch {
    return 'not JSON';
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'not an object';
  return doc as Obj;
}

export function parseTask(value: Buffer | null, limits: TaskLimits): ParsedTask {
  const o = parseObject(value);
  if (typeof o === 'string') return { ok: false, reason: o };
  const id = str(o, 'id');
  if (!id) return { ok: false, reason: 'missing id' };
  switch (o.type) {
    case 'cache.put':
      return parseCachePut(o, id, limits);
    case 'session.delete': {
      const bad = badSessionId(o);
      return bad
        ? { ok: false, reason: bad }
        : { ok: true, task: { id, type: 'session.delete', sessionId: o.sessionId as string } };
    }
    case 'summarize':
      return parseSummarize(o, id);
    case 'webhook':
      return parseWebhook(o, id);
    default:
      return { ok: false, reason: `unknown type ${JSON.stringify(o.type)?.slice(0, 64)}` };
  }
}

/** The type label of a raw task for metrics: its type or "unknown" (bounded cardinality). */
export function taskTypeLabel(parsed: ParsedTask): TaskType | 'unknown' {
  return parsed.ok ? parsed.task.type : 'unknown';
}
