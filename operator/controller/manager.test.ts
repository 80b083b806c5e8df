import { describe, expect, it } from '@jest/globals';
import { ownerKey } from './fleet-wiring.js';

describe('ownerKey', () => {
  it.each([
    [
      'controller ownerReference to a ChatbotDeployment',
      {
        namespace: 'a',
        ownerReferences: [
          {
            apiVersion: 'chatfleet.io/v1alpha1',
            kind: 'ChatbotDeployment',
            name: 'bot',
            uid: 'u',
            controller: true,
          },
        ],
      },
      'a/bot',
    ],
    [
      'pod (owned by a ReplicaSet) via the instance label',
      {
        namespace: 'a',
        labels: { 'app.kubernetes.io/instance': 'bot' },
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'bot-123', uid: 'u', controller: true },
        ],
      },
      'a/bot',
    ],
    [
      'non-controller reference is ignored',
      {
        namespace: 'a',
        ownerReferences: [
          { apiVersion: 'chatfleet.io/v1alpha1', kind: 'ChatbotDeployment', name: 'bot', uid: 'u' },
        ],
      },
      undefined,
    ],
    ['no owner, no label', { namespace: 'a' }, undefined],
  ])('%s', (_n, metadata, key) => {
    expect(ownerKey({ metadata })).toBe(key);
  });
});
