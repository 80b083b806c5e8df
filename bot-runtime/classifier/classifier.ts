import { tokens } from './normalise.js';

/**
 * A small in-process intent classifier: TF-IDF over word unigrams and character 3/4-grams,
 * L2-normalised, scored by cosine similarity against every training example through an
 * inverted index (nearest neighbour, k = 1). Few-shot bundles with a handful of examples per
 * intent are the norm, and nearest-neighbour over char n-grams copes with typos and inflection
 * without any training loop. Building it is synchronous and needs no network.
 */
export interface TrainingExample {
  intent: string;
  text: string; // normalised
}

export interface Prediction {
  intent: string;
  confidence: number; // cosine similarity in [0, 1]
}

type Vector = Map<string, number>;

interface Posting {
  example: number;
  weight: number;
}

const CHAR_NGRAM_SIZES = [3, 4];

export function features(normalised: string): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (f: string): void => {
    counts.set(f, (counts.get(f) ?? 0) + 1);
  };
  for (const word of tokens(normalised)) {
    add(`w:${word}`);
    const padded = ` ${word} `;
    for (const n of CHAR_NGRAM_SIZES) {
      for (let i = 0; i + n <= padded.length; i++) add(`c:${padded.slice(i, i + n)}`);
    }
  }
  return counts;
}

function l2normalise(v: Vector): Vector {
  let sum = 0;
  for (const w of v.values()) sum += w * w;
  const norm = Math.sqrt(sum);
  if (norm === 0) return v;
  for (const [k, w] of v) v.set(k, w / norm);
  return v;
}

export class IntentClassifier {
  private readonly idf = new Map<string, number>();
  private readonly index = new Map<string, Posting[]>();
  private readonly exampleIntents: string[];

  constructor(examples: readonly TrainingExample[]) {
    this.exampleIntents = examples.map((e) => e.intent);
    const counted = examples.map((e) => features(e.text));
    const df = new Map<string, number>();
    for (const c of counted) for (const f of c.keys()) df.set(f, (df.get(f) ?? 0) + 1);
    const n = examples.length;
    for (const [f, d] of df) this.idf.set(f, Math.log((1 + n) / (1 + d)) + 1);
    counted.forEach((c, example) => {
      for (const [f, weight] of this.vectorise(c)) {
        let postings = this.index.get(f);
        if (!postings) this.index.set(f, (postings = []));
        postings.push({ example, weight });
      }
    });
  }

  get size(): number {
    return this.exampleIntents.length;
  }

  private vectorise(counts: Map<string, number>): Vector {
    const v: Vector = new Map();
    for (const [f, tf] of counts) {
      const idf = this.idf.get(f);
      if (idf !== undefined) v.set(f, (1 + Math.log(tf)) * idf);
    }
    return l2normalise(v);
  }

  /** Best intent for a normalised text, or undefined when no feature is known at all. */
  classify(normalised: string): Prediction | undefined {
    const query = this.vectorise(features(normalised));
    const scores = new Float64Array(this.exampleIntents.length);
    for (const [f, qw] of query) {
      for (const p of this.index.get(f) ?? []) scores[p.example] = (scores[p.example] ?? 0) + qw * p.weight;
    }
    let best = -1;
    let bestScore = 0;
    scores.forEach((s, i) => {
      if (s > bestScore) [best, bestScore] = [i, s];
    });
    const intent = this.exampleIntents[best];
    if (intent === undefined) return undefined;
    return { intent, confidence: Math.min(1, Math.round(bestScore * 1e6) / 1e6) };
  }
}
