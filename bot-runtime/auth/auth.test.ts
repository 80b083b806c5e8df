import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { authenticate, bearerToken, signJwtHs256, verifyJwtHs256 } from './auth.js';

const secret = 's3cret';

describe('authenticate', () => {
  it('is open when neither API keys nor a JWT secret are configured', () => {
    expect(authenticate(undefined, { apiKeys: [], jwtSecret: undefined }, 0)).toEqual({
      ok: true,
      subject: undefined,
    });
  });

  it('accepts a configured API key and rejects others', () => {
    const cfg = { apiKeys: ['k1', 'k2'], jwtSecret: undefined };
    expect(authenticate('k2', cfg, 0).ok).toBe(true);
    expect(authenticate('k3', cfg, 0).ok).toBe(false);
    expect(authenticate(undefined, cfg, 0)).toEqual({ ok: false, reason: 'missing bearer token' });
  });

  it('accepts a valid HS256 JWT and takes its subject', () => {
    const token = signJwtHs256({ sub: 'user-7', exp: 200 }, secret);
    expect(authenticate(token, { apiKeys: [], jwtSecret: secret }, 100)).toEqual({
      ok: true,
      subject: 'user-7',
    });
  });

  it.each([
    ['expired', signJwtHs256({ exp: 100 }, secret), /expired/],
    ['not yet valid', signJwtHs256({ nbf: 200 }, secret), /not yet/],
    ['wrong secret', signJwtHs256({}, 'other'), /signature/],
    ['garbage', 'a.b.c', /signature|malformed/],
  ])('rejects a JWT that is %s', (_n, token, reason) => {
    const r = verifyJwtHs256(token, secret, 150);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(reason);
  });

  it('rejects alg other than HS256 even with a valid MAC over the header', () => {
    const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const body = `${enc({ alg: 'none' })}.${enc({ sub: 'x' })}`;
    const token = `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
    expect(verifyJwtHs256(token, secret, 0)).toEqual({ ok: false, reason: 'alg must be HS256' });
  });

  it('parses bearer headers', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
