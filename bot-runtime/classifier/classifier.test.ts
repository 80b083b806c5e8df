import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { BundleError, Model, parseBundle, type Bundle } from './bundle.js';
import { IntentClassifier, features } from './classifier.js';
import { normalise } from './normalise.js';

const example = JSON.parse(
  readFileSync(new URL('../model/bundle.example.json', import.meta.url), 'utf8'),
) as unknown;

describe('IntentClassifier', () => {
  const clf = new IntentClassifier([
    { intent: 'greet', text: 'hello there' },
    { intent: 'greet', text: 'good morning' },
    { intent: 'order', text: 'where is my order' },
    { intent: 'order', text: 'track my parcel' },
  ]);

  it.each([
    ['hello', 'greet'],
    ['good mornin', 'greet'],
    ['where is my ordr', 'order'],
    ['track parcel please', 'order'],
  ])('%j -> %s', (text, intent) => {
    expect(clf.classify(normalise(text))?.intent).toBe(intent);
  });

  it('gives confidence 1 for a training example and less for a variation', () => {
    expect(clf.classify('where is my order')?.confidence).toBe(1);
    const near = clf.classify('where is my parcel order')?.confidence ?? 0;
    expect(near).toBeGreaterThan(0.3);
    expect(near).toBeLessThan(1);
  });

  it('returns undefined when no feature is known', () => {
    expect(clf.classify('zzzz qqqq')).toBeUndefined();
    expect(clf.classify('')).toBeUndefined();
  });

  it('builds word and char n-gram features', () => {
    const f = features('hi');
    expect(f.get('w:hi')).toBe(1);
    expect(f.get('c: hi')).toBe(1);
    expect(f.get('c: hi ')).toBe(1);
  });
});

describe('parseBundle', () => {
  it('accepts the example bundle shipped in the repo', () => {
    const b = parseBundle(example);
    expect(b.version).toBe('2026.11.0');
    expect(b.intents.length).toBeGreaterThan(3);
  });

  const valid = (): Record<string, unknown> => JSON.parse(JSON.stringify(example)) as Record<string, unknown>;
  it.each<[string, (b: Record<string, unknown>) => void, RegExp]>([
    ['missing version', (b) => delete b.version, /version/],
    ['empty version', (b) => (b.version = ''), /version/],
    ['threshold out of range', (b) => (b.threshold = 1.5), /threshold/],
    ['intents not an array', (b) => (b.intents = {}), /intents/],
    ['intent without examples', (b) => ((b.intents as Bundle['intents'])[0]!.examples = []), /examples/],
    ['duplicate intent', (b) => (b.intents as unknown[]).push((b.intents as unknown[])[0]), /duplicate/],
    ['faq without answer', (b) => delete (b.faq as Record<string, unknown>[])[0]!.answer, /answer/],
    ['a blank fallback reply', (b) => (b.fallbackReply = '  '), /fallbackReply/],
    [
      'an unknown intent field',
      (b) => ((b.intents as Record<string, unknown>[])[0]!.extra = 1),
      /additional/,
    ],
    ['a number as version', (b) => (b.version = 3), /version/],
    ['no intents nor faq', (b) => ((b.intents = []), delete b.faq), /no intents/],
    [
      'an action without a webhook',
      (b) => ((b.intents as Record<string, unknown>[])[0]!.action = {}),
      /webhook/,
    ],
    [
      'a webhook name that is not a DNS label',
      (b) => ((b.intents as Record<string, unknown>[])[0]!.action = { webhook: 'CRM Hand/off' }),
      /action\/webhook/,
    ],
    [
      'an action of another kind',
      (b) => ((b.intents as Record<string, unknown>[])[0]!.action = { webhook: 'crm', email: 'x' }),
      /additional/,
    ],
  ])('rejects %s', (_name, breakIt, message) => {
    const b = valid();
    breakIt(b);
    expect(() => parseBundle(b)).toThrow(BundleError);
    expect(() => parseBundle(b)).toThrow(message);
  });

  it('keeps an intent action, and the model tells it by intent', () => {
    const b = valid();
    (b.intents as Record<string, unknown>[])[0]!.action = { webhook: 'crm-handoff' };
    const bundle = parseBundle(b);
    const first = bundle.intents[0]!;
    expect(first.action).toEqual({ webhook: 'crm-handoff' });
    const model = new Model(bundle);
    expect(model.actionOf(first.name)).toEqual({ webhook: 'crm-handoff' });
    expect(model.actionOf(bundle.intents[1]!.name)).toBeUndefined();
  });

  it('rejects non-objects', () => {
    expect(() => parseBundle([])).toThrow(BundleError);
    expect(() => parseBundle(null)).toThrow(BundleError);
  });
});

describe('Model', () => {
  const model = new Model(parseBundle(example));

  it('answers a confident intent with one of its responses', () => {
    const a = model.answer(normalise('Where is my order?'));
    expect(a.intent).toBe('order_status');
    expect(a.reply).toMatch(/Account > Orders/);
  });

  it('answers FAQ entries as faq.<id> intents', () => {
    const a = model.answer(normalise('Is delivery free?'));
    expect(a.intent).toBe('faq.shipping_cost');
    expect(a.reply).toMatch(/free above 50/);
  });

  it('gives no reply below the threshold', () => {
    const a = model.answer(normalise('explain quantum chromodynamics to me'));
    expect(a.confidence).toBeLessThan(model.threshold);
    expect(a.reply).toBeUndefined();
  });

  it('memoises answers per normalised question, bounded in bytes', () => {
    const m = new Model(parseBundle(example), undefined, 64 * 1024);
    const first = m.answer('where is my order');
    expect(m.answer('where is my order')).toBe(first);
    for (let i = 0; i < 1000; i++) m.answer(`question ${i} ${'x'.repeat(200)}`);
    expect(m.memoBytes).toBeLessThanOrEqual(64 * 1024);
    expect(m.memoEntries).toBeGreaterThan(50); // bounded, not emptied
    const again = m.answer('where is my order'); // evicted, recomputed, same content
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
  });

  it.each([
    ['10k short questions fit a 16 MiB memo', 10_000, 20, 16 * 1024 * 1024, 10_000],
    ['long questions are bounded by bytes, not count', 1000, 8000, 4 * 1024 * 1024, 260],
    ['a question over a 64th of the memo is not kept', 10, 600, 64 * 1024, 0],
  ])('%s', (_name, questions, length, maxBytes, entries) => {
    const m = new Model(parseBundle(example), undefined, maxBytes);
    for (let i = 0; i < questions; i++) m.answer(`${i} ${'y'.repeat(length)}`.slice(0, length));
    expect(m.memoEntries).toBe(entries);
    expect(m.memoBytes).toBeLessThanOrEqual(maxBytes);
  });

  it('is deterministic, which keeps answers cacheable', () => {
    expect(model.answer('hello').reply).toBe(model.answer('hello').reply);
  });

  it('reports MODEL_VERSION over the bundle version when set', () => {
    expect(new Model(parseBundle(example), 'v9').version).toBe('v9');
    expect(model.version).toBe('2026.11.0');
  });
});
