import { createHash } from 'node:crypto';
import { IntentClassifier, type TrainingExample } from './classifier.js';
import { normalise } from './normalise.js';

/** The model bundle document; its JSON Schema is model/bundle.schema.json. */
export interface Bundle {
  name: string;
  version: string;
  threshold: number;
  fallbackReply: string;
  intents: { name: string; examples: string[]; responses: string[] }[];
  faq?: { id: string; question: string; alternatives?: string[]; answer: string }[];
}

export class BundleError extends Error {
  override readonly name = 'BundleError';
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nonEmptyString(v: unknown, where: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw new BundleError(`${where} must be a non-empty string`);
  return v;
}

function stringList(v: unknown, where: string, min: number): string[] {
  if (!Array.isArray(v) || v.length < min)
    throw new BundleError(`${where} must be an array of >= ${min} strings`);
  return v.map((s, i) => nonEmptyString(s, `${where}[${i}]`));
}

function parseIntent(v: unknown, i: number): Bundle['intents'][number] {
  const where = `intents[${i}]`;
  if (!isObj(v)) throw new BundleError(`${where} must be an object`);
  return {
    name: nonEmptyString(v.name, `${where}.name`),
    examples: stringList(v.examples, `${where}.examples`, 1),
    responses: stringList(v.responses, `${where}.responses`, 1),
  };
}

function parseFaq(v: unknown, i: number): NonNullable<Bundle['faq']>[number] {
  const where = `faq[${i}]`;
  if (!isObj(v)) throw new BundleError(`${where} must be an object`);
  return {
    id: nonEmptyString(v.id, `${where}.id`),
    question: nonEmptyString(v.question, `${where}.question`),
    alternatives: v.alternatives === undefined ? [] : stringList(v.alternatives, `${where}.alternatives`, 0),
    answer: nonEmptyString(v.answer, `${where}.answer`),
  };
}

function uniqueNames(names: string[]): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new BundleError(`duplicate intent name "${n}"`);
    seen.add(n);
  }
}

function parseThreshold(v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1))
    throw new BundleError('threshold must be a number between 0 and 1');
  return v;
}

/** Validates an untrusted JSON value against the bundle schema; errors name the offending path. */
export function parseBundle(doc: unknown): Bundle {
  if (!isObj(doc)) throw new BundleError('bundle must be a JSON object');
  const threshold = parseThreshold(doc.threshold);
  if (!Array.isArray(doc.intents)) throw new BundleError('intents must be an array');
  if (doc.faq !== undefined && !Array.isArray(doc.faq)) throw new BundleError('faq must be an array');
  const bundle: Bundle = {
    name: nonEmptyString(doc.name, 'name'),
    version: nonEmptyString(doc.version, 'version'),
    threshold,
    fallbackReply: nonEmptyString(doc.fallbackReply, 'fallbackReply'),
    intents: doc.intents.map(parseIntent),
    faq: ((doc.faq as unknown[] | undefined) ?? []).map(parseFaq),
  };
  uniqueNames([...bundle.intents.map((i) => i.name), ...(bundle.faq ?? []).map((f) => `faq.${f.id}`)]);
  if (bundle.intents.length + (bundle.faq?.length ?? 0) === 0) throw new BundleError('bundle has no intents');
  return bundle;
}

export interface IntentAnswer {
  intent: string;
  confidence: number;
  reply: string | undefined; // undefined when below the threshold
}

/**
 * Upper estimate of one memo entry: the key's characters (V8 keeps one- or two-byte strings; two is
 * the bound), its string header, the Map entry and the answer object (whose strings are shared).
 */
function memoEntryBytes(key: string): number {
  return key.length * 2 + 128;
}

/** A loaded bundle: its classifier, responses and the version every answer is tagged with. */
export class Model {
  readonly version: string;
  readonly name: string;
  readonly threshold: number;
  readonly fallbackReply: string;
  private readonly classifier: IntentClassifier;
  private readonly responses = new Map<string, string[]>();
  /**
   * Memo of answers by normalised question. The classifier is a pure function of the question for
   * this model, and popular questions repeat; the memo dies with the model on reload. It holds no
   * session state (sessions stay in Redis). It is bounded in bytes, not entries: questions are
   * tenant input, and a count bound lets long ones take any amount of memory. Oldest out first.
   */
  private readonly memo = new Map<string, IntentAnswer>();
  private memoBytesHeld = 0;
  static readonly DEFAULT_MEMO_MAX_BYTES = 16 * 1024 * 1024;

  constructor(
    bundle: Bundle,
    versionOverride?: string,
    private readonly memoMaxBytes = Model.DEFAULT_MEMO_MAX_BYTES,
  ) {
    this.version = versionOverride ?? bundle.version;
    this.name = bundle.name;
    this.threshold = bundle.threshold;
    this.fallbackReply = bundle.fallbackReply;
    const examples: TrainingExample[] = [];
    for (const intent of bundle.intents) {
      this.responses.set(intent.name, intent.responses);
      for (const text of intent.examples) examples.push({ intent: intent.name, text: normalise(text) });
    }
    for (const faq of bundle.faq ?? []) {
      const intent = `faq.${faq.id}`;
      this.responses.set(intent, [faq.answer]);
      for (const text of [faq.question, ...(faq.alternatives ?? [])]) {
        examples.push({ intent, text: normalise(text) });
      }
    }
    this.classifier = new IntentClassifier(examples);
  }

  /** Classifies a normalised question; the reply is set only at or above the bundle's threshold. */
  answer(normalised: string): IntentAnswer {
    const known = this.memo.get(normalised);
    if (known) return known;
    const answer = this.classify(normalised);
    this.remember(normalised, answer);
    return answer;
  }

  /** Estimated bytes the memo holds (keys at 2 bytes per UTF-16 unit, plus each entry's overhead). */
  get memoBytes(): number {
    return this.memoBytesHeld;
  }

  get memoEntries(): number {
    return this.memo.size;
  }

  private remember(normalised: string, answer: IntentAnswer): void {
    const cost = memoEntryBytes(normalised);
    // A question bigger than a 64th of the whole memo would evict many popular ones: not kept.
    if (cost * 64 > this.memoMaxBytes) return;
    for (const oldest of this.memo.keys()) {
      if (this.memoBytesHeld + cost <= this.memoMaxBytes) break;
      this.memo.delete(oldest);
      this.memoBytesHeld -= memoEntryBytes(oldest);
    }
    this.memo.set(normalised, answer);
    this.memoBytesHeld += cost;
  }

  private classify(normalised: string): IntentAnswer {
    const p = this.classifier.classify(normalised);
    if (!p) return { intent: 'none', confidence: 0, reply: undefined };
    const options = this.responses.get(p.intent) ?? [];
    // Deterministic choice: the same question gets the same wording, which keeps answers cacheable.
    const pick = createHash('sha1').update(normalised).digest().readUInt32BE(0) % Math.max(1, options.length);
    return { ...p, reply: p.confidence >= this.threshold ? options[pick] : undefined };
  }
}
