import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Fastify, { type FastifyInstance } from 'fastify';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { WebSocket } from 'ws';
import { postChat, startRuntime, type Runtime } from './support/runtime.js';

/**
 * Attack: every bad token kind, against a real JWKS server on loopback (RS256 and ES256 keys) and
 * an HS256 secret. Before, the check was hand-written, HS256 only, without issuer or audience, a
 * token without exp was valid forever, and ?access_token= was accepted on every route.
 */
const ISSUER = 'https://idp.test';
const AUDIENCE = 'chatfleet';
const SECRET = 'hs256-secret-for-tests-only';
const SKEW_S = 5;

interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  jwk: JWK;
  spki: string;
}

async function signingKey(kid: string, alg: 'RS256' | 'ES256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return {
    kid,
    alg,
    privateKey,
    jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' },
    spki: await exportSPKI(publicKey),
  };
}

/** A JWKS endpoint whose key list the test changes (rotation), counting fetches. */
async function startJwks(
  keys: JWK[],
): Promise<{ url: string; keys: JWK[]; fetches: number; close: () => Promise<void> }> {
  const app: FastifyInstance = Fastify({ logger: false });
  const state = { url: '', keys, fetches: 0, close: () => app.close() };
  app.get('/.well-known/jwks.json', async () => {
    state.fetches += 1;
    return { keys: state.keys };
  });
  state.url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/.well-known/jwks.json`;
  return state;
}

const nowS = (): number => Math.floor(Date.now() / 1000);
const good = (): Record<string, unknown> => ({ sub: 'alice', iss: ISSUER, aud: AUDIENCE, exp: nowS() + 300 });

function sign(key: SigningKey, claims: Record<string, unknown>, kid = key.kid): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid }).sign(key.privateKey);
}

function signHs(claims: Record<string, unknown>, secret: string | Uint8Array = SECRET): Promise<string> {
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(key);
}

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('every bad token kind', () => {
  let jwks: Awaited<ReturnType<typeof startJwks>>;
  let rt: Runtime;
  let rsa: SigningKey;
  let ec: SigningKey;
  let stranger: SigningKey;

  beforeAll(async () => {
    [rsa, ec, stranger] = await Promise.all([
      signingKey('rsa-1', 'RS256'),
      signingKey('ec-1', 'ES256'),
      signingKey('rsa-1', 'RS256'), // same kid as a published key, another key pair
    ]);
    jwks = await startJwks([rsa.jwk, ec.jwk]);
    rt = await startRuntime({
      AUTH_JWKS_URL: jwks.url,
      AUTH_JWKS_COOLDOWN_MS: '200',
      AUTH_JWT_SECRET: SECRET,
      AUTH_JWT_ISSUER: ISSUER,
      AUTH_JWT_AUDIENCE: AUDIENCE,
      AUTH_JWT_CLOCK_SKEW_SECONDS: String(SKEW_S),
    });
  });
  afterAll(async () => {
    await rt?.close();
    await jwks?.close();
  });

  const chatWith = async (token: string): Promise<{ status: number; reason: unknown }> => {
    const res = await postChat(rt.url, { message: 'hello' }, { authorization: `Bearer ${token}` });
    return { status: res.status, reason: (res.body.error as { message?: unknown } | undefined)?.message };
  };

  it('accepts good RS256, ES256 and HS256 tokens', async () => {
    for (const token of [await sign(rsa, good()), await sign(ec, good()), await signHs(good())]) {
      expect(await chatWith(token)).toEqual({ status: 200, reason: undefined });
    }
  });

  it.each([
    ['alg none', async () => `${b64({ alg: 'none' })}.${b64(good())}.`, 'algorithm not accepted'],
    ['expired', async () => sign(rsa, { ...good(), exp: nowS() - 60 }), 'token expired'],
    ['no exp', async () => sign(rsa, { sub: 'alice', iss: ISSUER, aud: AUDIENCE }), 'token has no exp'],
    ['wrong issuer', async () => sign(ec, { ...good(), iss: 'https://evil.test' }), 'wrong issuer'],
    ['wrong audience', async () => sign(ec, { ...good(), aud: 'another-app' }), 'wrong audience'],
    ['wrong key (a published kid)', async () => sign(stranger, good()), 'bad signature'],
    ['wrong HS256 secret', async () => signHs(good(), 'guessed'), 'bad signature'],
    ['unknown kid', async () => sign(stranger, good(), 'rsa-unknown'), 'unknown key id'],
    [
      'algorithm confusion: HS256 keyed with the RSA public key',
      async () => signHs(good(), new TextEncoder().encode(rsa.spki)),
      'bad signature',
    ],
    [
      'RS384 (not accepted)',
      async () => `${b64({ alg: 'RS384', kid: 'rsa-1' })}.${b64(good())}.c2ln`,
      'algorithm not accepted',
    ],
  ])('refuses %s with 401', async (_name, make, reason) => {
    expect(await chatWith(await make())).toEqual({ status: 401, reason });
  });

  it('allows a clock skew of AUTH_JWT_CLOCK_SKEW_SECONDS, no more', async () => {
    expect((await chatWith(await sign(rsa, { ...good(), exp: nowS() - (SKEW_S - 2) }))).status).toBe(200);
    expect((await chatWith(await sign(rsa, { ...good(), exp: nowS() - (SKEW_S + 2) }))).status).toBe(401);
  });

  it('refreshes the cached key set on an unknown kid (key rotation)', async () => {
    const rotated = await signingKey('rsa-2', 'RS256');
    const token = await sign(rotated, good());
    await new Promise((r) => setTimeout(r, 250)); // past the refetch cooldown
    expect((await chatWith(token)).reason).toBe('unknown key id');
    const fetchesBefore = jwks.fetches;
    jwks.keys = [...jwks.keys, rotated.jwk];
    await new Promise((r) => setTimeout(r, 250));
    expect(await chatWith(token)).toEqual({ status: 200, reason: undefined });
    expect(jwks.fetches).toBe(fetchesBefore + 1);
    // the cached set answers known kids without fetching again
    await chatWith(await sign(rsa, good()));
    expect(jwks.fetches).toBe(fetchesBefore + 1);
  });

  it('accepts ?access_token= only on the WebSocket upgrade', async () => {
    const token = await sign(rsa, good());
    const res = await fetch(`${rt.url}/v1/chat?access_token=${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'hello' }),
    });
    expect(res.status).toBe(401);
    expect((await fetch(`${rt.url}/v1/sessions/abc?access_token=${token}`)).status).toBe(401);

    const ws = new WebSocket(`${rt.url.replace('http', 'ws')}/v1/chat/ws?access_token=${token}`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const reply = new Promise<Record<string, unknown>>((resolve) =>
      ws.once('message', (d: Buffer) => resolve(JSON.parse(d.toString()) as Record<string, unknown>)),
    );
    ws.send(JSON.stringify({ message: 'hello' }));
    expect(await reply).toMatchObject({ intent: 'greet' });
    ws.close();
  });

  it('closes a WebSocket with 1008 when its token expires (plus the allowed skew)', async () => {
    const token = await sign(ec, { ...good(), exp: nowS() + 1 });
    const ws = new WebSocket(`${rt.url.replace('http', 'ws')}/v1/chat/ws`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const opened = Date.now();
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const code = await new Promise<number>((resolve) => ws.once('close', (c: number) => resolve(c)));
    expect(code).toBe(1008);
    expect(Date.now() - opened).toBeGreaterThanOrEqual((SKEW_S - 1) * 1000);
    expect(Date.now() - opened).toBeLessThan((SKEW_S + 3) * 1000);
  });
});

describe('algorithm confusion with a JWKS only (no HS256 secret)', () => {
  it('refuses an HS256 token keyed with the published public key', async () => {
    const rsa = await signingKey('rsa-1', 'RS256');
    const jwks = await startJwks([rsa.jwk]);
    const rt = await startRuntime({ AUTH_JWKS_URL: jwks.url });
    try {
      const forged = await signHs(
        { sub: 'mallory', exp: nowS() + 60 },
        new TextEncoder().encode(JSON.stringify(rsa.jwk)),
      );
      const res = await postChat(rt.url, { message: 'hello' }, { authorization: `Bearer ${forged}` });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: { code: 'UNAUTHORIZED', message: 'algorithm not accepted' } });
    } finally {
      await rt.close();
      await jwks.close();
    }
  });
});
