import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { loadConfig } from '../config.js';
import { JwtAuthenticator, bearerToken, signJwtHs256 } from './auth.js';

const secret = 's3cret';
const NOW_S = 1_000_000;
const auth = (env: Record<string, string>): JwtAuthenticator =>
  new JwtAuthenticator(loadConfig(env).auth, () => NOW_S * 1000);
const hs = auth({ AUTH_JWT_SECRET: secret, AUTH_JWT_CLOCK_SKEW_SECONDS: '30' });

function rawToken(header: unknown, claims: unknown, signature = ''): string {
  const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc(header)}.${enc(claims)}.${signature}`;
}

describe('JwtAuthenticator', () => {
  it('is open when neither API keys nor a JWT key are configured', async () => {
    expect(await auth({}).authenticate(undefined)).toEqual({ ok: true, principal: undefined });
  });

  it('accepts a configured API key as its named principal and rejects others', async () => {
    const a = auth({ AUTH_API_KEYS: 'alice:k1,bob:k2,bare-key' });
    expect(await a.authenticate('k2')).toEqual({ ok: true, principal: 'key:bob' });
    expect(await a.authenticate('k1')).toEqual({ ok: true, principal: 'key:alice' });
    const bare = await a.authenticate('bare-key');
    expect(bare).toEqual({ ok: true, principal: expect.stringMatching(/^key:sha256-[0-9a-f]{12}$/) });
    expect(JSON.stringify(bare)).not.toContain('bare-key');
    expect((await a.authenticate('k3')).ok).toBe(false);
    expect((await a.authenticate('alice:k1')).ok).toBe(false);
    expect(await a.authenticate(undefined)).toEqual({ ok: false, reason: 'missing bearer token' });
  });

  it('accepts a valid HS256 JWT and takes its subject and expiry', async () => {
    const token = signJwtHs256({ sub: 'user-7', exp: NOW_S + 60 }, secret);
    expect(await hs.authenticate(token)).toEqual({
      ok: true,
      principal: 'jwt:user-7',
      expiresAt: (NOW_S + 60) * 1000,
    });
  });

  it.each([
    ['expired beyond the skew', signJwtHs256({ sub: 'u', exp: NOW_S - 31 }, secret), 'token expired'],
    ['no exp', signJwtHs256({ sub: 'u' }, secret), 'token has no exp'],
    ['no sub', signJwtHs256({ exp: NOW_S + 60 }, secret), 'token has no sub'],
    ['an empty sub', signJwtHs256({ sub: '', exp: NOW_S + 60 }, secret), 'token has no sub'],
    [
      'not yet valid',
      signJwtHs256({ sub: 'u', exp: NOW_S + 600, nbf: NOW_S + 60 }, secret),
      'token not yet valid',
    ],
    ['wrong secret', signJwtHs256({ exp: NOW_S + 60 }, 'other'), 'bad signature'],
    ['alg none', rawToken({ alg: 'none' }, { exp: NOW_S + 60 }), 'algorithm not accepted'],
    ['HS384', rawToken({ alg: 'HS384' }, { exp: NOW_S + 60 }, 'c2ln'), 'algorithm not accepted'],
    [
      'RS256 without a JWKS',
      rawToken({ alg: 'RS256' }, { exp: NOW_S + 60 }, 'c2ln'),
      'algorithm not accepted',
    ],
    ['a header that is not JSON', 'bm90IGpzb24.e30.c2ln', 'malformed token'],
    ['too long', `${'a'.repeat(9000)}.b.c`, 'token too long'],
    ['not a JWT', 'just-a-token', 'invalid token'],
  ])('refuses %s', async (_name, token, reason) => {
    expect(await hs.authenticate(token)).toEqual({ ok: false, reason });
  });

  it('allows a bounded clock skew on exp', async () => {
    expect((await hs.authenticate(signJwtHs256({ sub: 'u', exp: NOW_S - 29 }, secret))).ok).toBe(true);
  });

  it.each([
    [{ iss: 'https://idp', aud: 'chat', exp: NOW_S + 60 }, { ok: true }],
    [
      { iss: 'https://evil', aud: 'chat', exp: NOW_S + 60 },
      { ok: false, reason: 'wrong issuer' },
    ],
    [
      { iss: 'https://idp', aud: 'other', exp: NOW_S + 60 },
      { ok: false, reason: 'wrong audience' },
    ],
    [
      { aud: 'chat', exp: NOW_S + 60 },
      { ok: false, reason: 'token has no iss' },
    ],
  ])('enforces issuer and audience when set: %j', async (claims, expected) => {
    const a = auth({
      AUTH_JWT_SECRET: secret,
      AUTH_JWT_ISSUER: 'https://idp',
      AUTH_JWT_AUDIENCE: 'chat,chat2',
    });
    expect(await a.authenticate(signJwtHs256({ sub: 'u', ...claims }, secret))).toMatchObject(expected);
  });

  it('uses the fixed HS256 signature (compatible with any standard signer)', async () => {
    const body = rawToken({ alg: 'HS256', typ: 'JWT' }, { sub: 'u', exp: NOW_S + 1 }).slice(0, -1);
    const sig = createHmac('sha256', secret).update(body).digest('base64url');
    expect((await hs.authenticate(`${body}.${sig}`)).ok).toBe(true);
  });
});

describe('bearerToken', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['Basic abc', undefined],
    [undefined, undefined],
  ])('%j -> %j', (header, expected) => {
    expect(bearerToken(header)).toBe(expected);
  });
});
