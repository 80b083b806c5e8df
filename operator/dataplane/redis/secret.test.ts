import { describe, expect, it } from '@jest/globals';
import { testCbd } from '../fixtures.js';
import { generateRedisPassword, redisPasswordSecret } from './secret.js';

const cbd = testCbd;

describe('password Secret', () => {
  it('is generated from 32 random bytes and carries the owner', () => {
    const pw = generateRedisPassword((n) => Buffer.alloc(n, 7));
    expect(pw).toBe(Buffer.alloc(32, 7).toString('base64url'));
    expect(generateRedisPassword()).not.toBe(generateRedisPassword());
    const secret = redisPasswordSecret(cbd(), pw);
    expect(secret.metadata!.name).toBe('support-redis-auth');
    expect(secret.stringData).toEqual({ password: pw });
    expect(secret.metadata!.ownerReferences![0]!.uid).toBe('uid-1');
  });
});

describe('password Secret object', () => {
  it('is a valid Secret with a 43-character password, owned by the CR', () => {
    const owner = {
      apiVersion: 'chatfleet.io/v1alpha1',
      kind: 'ChatbotDeployment',
      name: 'support',
      uid: 'u',
    };
    const secret = redisPasswordSecret(testCbd(), generateRedisPassword(), owner);
    expect(() => secret.validate()).not.toThrow();
    expect(secret.stringData?.password).toHaveLength(43);
    expect(secret.metadata?.ownerReferences).toEqual([owner]);
  });
});
