/**
 * Background tasks on the tasks topic (JSON values). Parsing is pure and total: a malformed task
 * is reported and skipped, never retried forever (it would block its partition).
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
  | { id: string; type: 'session.delete'; sessionId: string };

export type ParsedTask = { ok: true; task: Task } | { ok: false; reason: string };

type Obj = Record<string, unknown>;

function str(o: Obj, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function parseCachePut(o: Obj, id: string): ParsedTask {
  const modelVersion = str(o, 'modelVersion');
  const question = str(o, 'question');
  const answer = str(o, 'answer');
  if (!modelVersion || !question || !answer)
    return { ok: false, reason: 'cache.put needs modelVersion, question, answer' };
  const ttl = o.ttlSeconds;
  if (ttl !== undefined && (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl <= 0)) {
    return { ok: false, reason: 'ttlSeconds must be a positive integer' };
  }
  return { ok: true, task: { id, type: 'cache.put', modelVersion, question, answer, ttlSeconds: ttl } };
}

export function parseTask(value: Buffer | null): ParsedTask {
  let doc: unknown;
  try {
    doc = JSON.parse(value?.toString('utf8') ?? '');
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    return { ok: false, reason: 'not an object' };
  const o = doc as Obj;
  const id = str(o, 'id');
  if (!id) return { ok: false, reason: 'missing id' };
  switch (o.type) {
    case 'cache.put':
      return parseCachePut(o, id);
    case 'session.delete': {
      const sessionId = str(o, 'sessionId');
      return sessionId
        ? { ok: true, task: { id, type: 'session.delete', sessionId } }
        : { ok: false, reason: 'missing sessionId' };
    }
    default:
      return { ok: false, reason: `unknown type ${JSON.stringify(o.type)}` };
  }
}
