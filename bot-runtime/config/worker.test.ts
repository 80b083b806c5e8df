import { describe, expect, it } from '@jest/globals';
import { ConfigError } from './env.js';
import { parseSummarizeAfterTurns, parseWorker, webhookSecretVariable } from './worker.js';

const hooks = (v: unknown): string => JSON.stringify(v);

describe('parseWorker', () => {
  it('has defaults without any variable', () => {
    expect(parseWorker({})).toEqual({
      concurrency: 4,
      dlqTopic: undefined,
      webhooks: [],
      maxAttempts: 5,
      retryBaseDelayMs: 500,
      retryMaxDelayMs: 30_000,
      sessionTimeoutMs: 30_000,
    });
  });

  it('reads webhooks with their secrets', () => {
    const w = parseWorker({
      WORKER_CONCURRENCY: '16',
      KAFKA_DLQ_TOPIC: 'ns.bot.tasks.dlq',
      WORKER_WEBHOOKS: hooks([
        { name: 'crm-handoff', url: 'https://crm.example/hook', maxAttempts: 3, timeoutMs: 2000 },
        { name: 'notify', url: 'http://127.0.0.1:9/x' },
      ]),
      WEBHOOK_SECRET_CRM_HANDOFF: 'k1',
      WEBHOOK_SECRET_NOTIFY: 'k2',
    });
    expect(w.concurrency).toBe(16);
    expect(w.dlqTopic).toBe('ns.bot.tasks.dlq');
    expect(w.webhooks).toEqual([
      { name: 'crm-handoff', url: 'https://crm.example/hook', maxAttempts: 3, timeoutMs: 2000, secret: 'k1' },
      { name: 'notify', url: 'http://127.0.0.1:9/x', maxAttempts: 5, timeoutMs: 10_000, secret: 'k2' },
    ]);
  });

  const ok = { name: 'crm', url: 'https://crm.example/hook' };
  it.each<[string, Record<string, string>, RegExp]>([
    ['concurrency 0', { WORKER_CONCURRENCY: '0' }, /WORKER_CONCURRENCY must be between 1 and 64/],
    ['concurrency 65', { WORKER_CONCURRENCY: '65' }, /WORKER_CONCURRENCY/],
    ['webhooks not JSON', { WORKER_WEBHOOKS: '[{' }, /not JSON/],
    ['webhooks not an array', { WORKER_WEBHOOKS: '{}' }, /array/],
    [
      'more than 32 webhooks',
      { WORKER_WEBHOOKS: hooks(Array.from({ length: 33 }, (_, i) => ({ ...ok, name: `h${i}` }))) },
      /more than 32/,
    ],
    ['a webhook without its secret', { WORKER_WEBHOOKS: hooks([ok]) }, /WEBHOOK_SECRET_CRM/],
    ['an empty secret', { WORKER_WEBHOOKS: hooks([ok]), WEBHOOK_SECRET_CRM: '' }, /non-empty/],
    ['a name that is not a DNS label', { WORKER_WEBHOOKS: hooks([{ ...ok, name: 'CRM_1' }]) }, /DNS label/],
    [
      'a URL over 2048 characters',
      { WORKER_WEBHOOKS: hooks([{ ...ok, url: `https://x/${'a'.repeat(2048)}` }]), WEBHOOK_SECRET_CRM: 'k' },
      /2048/,
    ],
    [
      'a URL that is not one',
      { WORKER_WEBHOOKS: hooks([{ ...ok, url: 'not a url' }]), WEBHOOK_SECRET_CRM: 'k' },
      /not a URL/,
    ],
    [
      'a non-http URL',
      { WORKER_WEBHOOKS: hooks([{ ...ok, url: 'file:///etc/passwd' }]), WEBHOOK_SECRET_CRM: 'k' },
      /http/,
    ],
    [
      'credentials in the URL',
      { WORKER_WEBHOOKS: hooks([{ ...ok, url: 'https://u:p@x/' }]), WEBHOOK_SECRET_CRM: 'k' },
      /credentials/,
    ],
    [
      'maxAttempts 0',
      { WORKER_WEBHOOKS: hooks([{ ...ok, maxAttempts: 0 }]), WEBHOOK_SECRET_CRM: 'k' },
      /maxAttempts/,
    ],
    [
      'a fractional timeout',
      { WORKER_WEBHOOKS: hooks([{ ...ok, timeoutMs: 1.5 }]), WEBHOOK_SECRET_CRM: 'k' },
      /timeoutMs/,
    ],
    ['one name twice', { WORKER_WEBHOOKS: hooks([ok, ok]), WEBHOOK_SECRET_CRM: 'k' }, /twice/],
  ])('refuses %s', (_name, env, message) => {
    expect(() => parseWorker(env)).toThrow(ConfigError);
    expect(() => parseWorker(env)).toThrow(message);
  });
});

describe('webhookSecretVariable', () => {
  it('upper-cases the name and turns - into _', () => {
    expect(webhookSecretVariable('crm-hand-off')).toBe('WEBHOOK_SECRET_CRM_HAND_OFF');
  });
});

describe('parseSummarizeAfterTurns', () => {
  it.each([
    [undefined, undefined],
    ['10', 10],
  ])('%p is %p', (raw, n) => {
    expect(parseSummarizeAfterTurns({ SUMMARIZE_AFTER_TURNS: raw })).toBe(n);
  });
  it('refuses 1 and words', () => {
    expect(() => parseSummarizeAfterTurns({ SUMMARIZE_AFTER_TURNS: '1' })).toThrow(ConfigError);
    expect(() => parseSummarizeAfterTurns({ SUMMARIZE_AFTER_TURNS: 'ten' })).toThrow(ConfigError);
  });
});
