import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { IntentClassifier, type TrainingExample } from './classifier.js';
import { normalise } from './normalise.js';

/** What a turn answered by an intent enqueues: a webhook task for the named webhook. */
export interface IntentAction {
  webhook: string;
}

/** The model bundle document; its JSON Schema is model/bundle.schema.json. */
export interface Bundle {
  name: string;
  version: string;
  threshold: number;
  fallbackReply: string;
  intents: { name: string; examples: string[]; responses: string[]; action?: IntentAction }[];
  faq?: { id: string; question: string; alternatives?: string[]; answer: string }[];
}

export class BundleError extends Error {
  override readonly name = 'BundleError';
}

/** The schema is read once, when the first bundle is parsed; it ships next to the example bundle. */
let validator: ValidateFunction<Bundle> | undefined;

function bundleValidator(): ValidateFunction<Bundle> {
  if (!validator) {
    const schemaUrl = new URL('../model/bundle.schema.json', import.meta.url);
    const schema = JSON.parse(readFileSync(schemaUrl, 'utf8')) as Record<string, unknown>;
    validator = new Ajv2020({ allErrors: false, strict: true }).compile<Bundle>(schema);
  }
  return validator;
}

function uniqueNames(names: string[]): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new BundleError(`duplicate intent name "${n}"`);
    seen.add(n);
  }
}

/**
 * Validates an untrusted JSON value against model/bundle.schema.json; the error names the
 * offending path (`/intents/0/examples must NOT have fewer than 1 items`). Keeps only the fields
 * the schema knows.
 */
export function parseBundle(doc: unknown): Bundle {
  const validate = bundleValidator();
  if (!validate(doc)) {
    const e = validate.errors?.[0];
    throw new BundleError(`bundle ${e?.instancePath || '/'} ${e?.message ?? 'is invalid'}`);
  }
  const bundle: Bundle = {
    name: doc.name,
    version: doc.version,
    threshold: doc.threshold,
    fallbackReply: doc.fallbackReply,
    intents: doc.intents.map(({ name, examples, responses, action }) => ({
      name,
      examples,
      responses,
      ...(action && { action: { webhook: action.webhook } }),
    })),
    faq: (doc.faq ?? []).map(({ id, question, alternatives, answer }) => ({
      id,
      question,
      alternatives: alternatives ?? [],
      answer,
    })),
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
  private readonly actions = new Map<string, IntentAction>();
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
      if (intent.action) this.actions.set(intent.name, intent.action);
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

  /** The action an intent declares (a webhook to call), if any. */
  actionOf(intent: string): IntentAction | undefined {
    return this.actions.get(intent);
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
