import { describe, expect, it } from '@jest/globals';
import {
  CACHE_LAG_MS,
  REREAD_MS,
  botPasswordStamp,
  passwordSecretStep,
  passwordStamp,
} from './password-rotation.js';
import type { KnownSecret, SecretLike, SecretStep } from './password-rotation.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function secret(uid: string, password: string, created = '2026-03-01T10:00:00Z'): SecretLike {
  return { metadata: { uid, creationTimestamp: created }, data: { password: b64(password) } };
}

describe('passwordStamp', () => {
  it('changes with the uid (recreated) and with the password (edited in place), not otherwise', () => {
    const a = passwordStamp(secret('u1', 'p1'));
    expect(passwordStamp(secret('u1', 'p1', '2027-01-01T00:00:00Z'))).toBe(a);
    expect(passwordStamp(secret('u2', 'p1'))).not.toBe(a);
    expect(passwordStamp(secret('u1', 'p2'))).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
  });

  it('never contains the password or its base64', () => {
    const s = passwordStamp(secret('u1', 'abcdef0123456789'));
    expect(s).not.toContain('abcdef');
    expect(s).not.toContain(b64('abcdef0123456789').slice(0, 8));
  });
});

describe('passwordSecretStep (injected clock)', () => {
  const now = 1_000_000;
  const known = (over: Partial<KnownSecret> = {}): KnownSecret => ({
    crUid: 'cr1',
    secret: secret('s1', 'p'),
    seenInCache: false,
    at: now - 1000,
    ...over,
  });
  // cached, known, watching, expected
  const table: [string, boolean, KnownSecret | undefined, boolean, SecretStep][] = [
    ['in the cache', true, undefined, true, 'cached'],
    ['in the cache, known too', true, known({ seenInCache: true }), true, 'cached'],
    ['never known, not cached: missing', false, undefined, true, 'create'],
    ['deleted after the cache showed it', false, known({ seenInCache: true }), true, 'create'],
    ['just created, watch lagging', false, known(), true, 'known'],
    [
      'created long ago and never seen: deleted',
      false,
      known({ at: now - CACHE_LAG_MS - 1 }),
      true,
      'create',
    ],
    ['known for an older CR uid', false, known({ crUid: 'old', seenInCache: true }), true, 'create'],
    ['no Secret informer (RBAC), nothing known', false, undefined, false, 'get'],
    ['no Secret informer, read moments ago', false, known(), false, 'known'],
    ['no Secret informer, read 10 min ago: again', false, known({ at: now - REREAD_MS }), false, 'get'],
    ['no Secret informer, known for an older CR uid', false, known({ crUid: 'old' }), false, 'get'],
    ['not labelled as ours (read after a 409)', false, known({ outsideCache: true }), true, 'known'],
    ['not labelled as ours, 10 min later', false, known({ outsideCache: true, at: 0 }), true, 'get'],
  ];
  it.each(table)('%s', (_what, cached, k, watching, step) => {
    expect(passwordSecretStep({ cached, known: k, crUid: 'cr1', watching, now })).toBe(step);
  });
});

describe('botPasswordStamp', () => {
  const old = secret('s-old', 'p-old', '2026-03-01T10:00:00Z');
  const rotated = secret('s-new', 'p-new', '2026-03-01T11:00:00Z');
  const oldStamp = passwordStamp(old);
  const newStamp = passwordStamp(rotated);
  // current annotation, Secret, Redis containers' startedAt, expected
  const table: [
    string,
    string | undefined,
    SecretLike | undefined,
    (string | undefined)[],
    string | undefined,
  ][] = [
    ['first apply: stamp at once', undefined, old, [], oldStamp],
    ['steady', oldStamp, old, ['2026-03-01T10:00:05Z'], oldStamp],
    ['Secret not known yet: keep', oldStamp, undefined, [], oldStamp],
    ['rotated, Redis still runs the old one', oldStamp, rotated, ['2026-03-01T10:00:05Z'], oldStamp],
    ['rotated, Redis restarted after it', oldStamp, rotated, ['2026-03-01T11:00:30Z'], newStamp],
    ['rotated, Redis restarted in the same second', oldStamp, rotated, ['2026-03-01T11:00:00Z'], newStamp],
    [
      'rotated, one of two Redis pods restarted',
      oldStamp,
      rotated,
      ['2026-03-01T11:00:30Z', '2026-03-01T10:00:05Z'],
      oldStamp,
    ],
    ['rotated, a Redis pod not running', oldStamp, rotated, ['2026-03-01T11:00:30Z', undefined], oldStamp],
    ['rotated, no Redis pod at all', oldStamp, rotated, [], oldStamp],
  ];
  it.each(table)('%s', (_what, current, s, startedAt, expected) => {
    expect(botPasswordStamp({ current, secret: s, redisStartedAt: startedAt })).toBe(expected);
  });
});
