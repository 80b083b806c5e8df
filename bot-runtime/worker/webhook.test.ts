import { describe, expect, it } from '@jest/globals';
import { statusOutcome, webhookBody } from './webhook.js';

describe('statusOutcome', () => {
  it.each([
    [200, 'done'],
    [204, 'done'],
    [408, 'retryable'],
    [429, 'retryable'],
    [500, 'retryable'],
    [503, 'retryable'],
    [400, 'permanent'],
    [401, 'permanent'],
    [404, 'permanent'],
    [410, 'permanent'],
    [301, 'permanent'],
  ])('HTTP %i is %s', (status, kind) => {
    expect(statusOutcome(status).kind).toBe(kind);
  });
});

describe('webhookBody', () => {
  it('carries the facts of the turn, in a stable order, and nothing else', () => {
    const task = {
      id: 't',
      type: 'webhook' as const,
      webhook: 'crm',
      sessionId: 's',
      intent: 'handoff',
      turn: 2,
      modelVersion: 'v1',
      at: 'a',
    };
    expect(webhookBody(task)).toBe(
      '{"id":"t","type":"webhook","webhook":"crm","sessionId":"s","intent":"handoff","turn":2,"modelVersion":"v1","at":"a"}',
    );
  });
});
