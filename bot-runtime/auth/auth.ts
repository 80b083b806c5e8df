import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { ApiKey, AuthConfig } from '../config.js';

/**
 * Optional bearer-token auth for the chat and session routes: static API keys (AUTH_API_KEYS)
 * and/or JWTs verified by `jose`: HS256 with AUTH_JWT_SECRET, RS256 and ES256 with the keys of
 * AUTH_JWKS_URL. `exp` is required (with a bounded clock skew), issuer and audience are enforced
 * when configured, and each key is only ever used with its own algorithm family, so `alg: none`
 * and algorithm confusion (an HS256 token "signed" with a public key) are refused. With neither
 * API keys nor a JWT key configured, auth is off.
 */
export type AuthResult =
  | {
      ok: true;
      /** Who is calling: `key:<name>` of an API key, `jwt:<sub>` of a token; undefined while auth is off. */
      principal: string | undefined;
      /** ms since the epoch (JWT exp), if any */
      expiresAt?: number;
    }
  | { ok: false; reason: string };

export interface Authenticator {
  authenticate(token: string | undefined): Promise<AuthResult>;
}

/** A JWT longer than this is refused unparsed (a real one is well under 2 KiB). */
const MAX_TOKEN_CHARS = 8192;
const ASYMMETRIC_ALGS = new Set(['RS256', 'ES256']);

export function authEnabled(cfg: AuthConfig): boolean {
  return cfg.apiKeys.length > 0 || cfg.jwtSecret !== undefined || cfg.jwksUrl !== undefined;
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Compares two secrets in constant time over their digests: neither content nor length leaks. */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

/**
 * The name of the API key `token` is, or undefined. Every key is compared, in constant time over
 * digests, so neither content, length nor position leaks through timing.
 */
function matchApiKey(token: string, keys: readonly ApiKey[]): string | undefined {
  const t = sha256(token);
  let name: string | undefined;
  for (const k of keys) if (timingSafeEqual(t, sha256(k.key))) name ??= k.name;
  return name;
}

export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

const fail = (reason: string): AuthResult => ({ ok: false, reason });

const REASONS: Record<string, string> = {
  ERR_JWT_EXPIRED: 'token expired',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'bad signature',
  ERR_JWKS_NO_MATCHING_KEY: 'unknown key id',
  ERR_JOSE_ALG_NOT_ALLOWED: 'algorithm not accepted',
  ERR_JWKS_TIMEOUT: 'key set unavailable',
  ERR_JWKS_INVALID: 'key set unavailable',
};
const CLAIM_REASONS: Record<string, string> = {
  iss: 'wrong issuer',
  aud: 'wrong audience',
  nbf: 'token not yet valid',
};

/** The 401 reason for a jose error: what was wrong, never the token. */
function reasonOf(err: unknown): string {
  const e = err as { code?: unknown; claim?: unknown; reason?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (code !== 'ERR_JWT_CLAIM_VALIDATION_FAILED') return REASONS[code] ?? 'invalid token';
  if (e?.reason === 'missing') return `token has no ${String(e.claim)}`;
  return CLAIM_REASONS[String(e?.claim)] ?? 'invalid claims';
}

export class JwtAuthenticator implements Authenticator {
  private readonly secret: Uint8Array | undefined;
  private readonly jwks: JWTVerifyGetKey | undefined;

  constructor(
    private readonly cfg: AuthConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.secret = cfg.jwtSecret === undefined ? undefined : new TextEncoder().encode(cfg.jwtSecret);
    // Cached; an unknown kid refetches, at most once per cooldown, so bad tokens cannot hammer it.
    this.jwks =
      cfg.jwksUrl === undefined
        ? undefined
        : createRemoteJWKSet(new URL(cfg.jwksUrl), {
            timeoutDuration: cfg.jwksTimeoutMs,
            cooldownDuration: cfg.jwksCooldownMs,
            cacheMaxAge: 10 * 60_000,
          });
  }

  async authenticate(token: string | undefined): Promise<AuthResult> {
    const cfg = this.cfg;
    if (!authEnabled(cfg)) return { ok: true, principal: undefined };
    if (token === undefined) return fail('missing bearer token');
    const keyName = cfg.apiKeys.length > 0 ? matchApiKey(token, cfg.apiKeys) : undefined;
    if (keyName !== undefined) return { ok: true, principal: `key:${keyName}` };
    if ((this.secret || this.jwks) && token.split('.').length === 3) return this.verifyJwt(token);
    return fail('invalid token');
  }

  private async verifyJwt(token: string): Promise<AuthResult> {
    if (token.length > MAX_TOKEN_CHARS) return fail('token too long');
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      return fail('malformed token');
    }
    try {
      const options = {
        algorithms: [String(alg)],
        issuer: this.cfg.jwtIssuer,
        audience: this.cfg.jwtAudience,
        clockTolerance: this.cfg.jwtClockSkewSeconds,
        // sub: the principal that owns the caller's sessions and carries its rate limit
        requiredClaims: ['exp', 'sub'],
        currentDate: new Date(this.now()),
      };
      // One key per algorithm family: a secret never verifies RS/ES, a public key never HS.
      let payload;
      if (alg === 'HS256' && this.secret) ({ payload } = await jwtVerify(token, this.secret, options));
      else if (typeof alg === 'string' && ASYMMETRIC_ALGS.has(alg) && this.jwks)
        ({ payload } = await jwtVerify(token, this.jwks, options));
      else return fail('algorithm not accepted');
      if (typeof payload.sub !== 'string' || payload.sub === '') return fail('token has no sub');
      return { ok: true, principal: `jwt:${payload.sub}`, expiresAt: (payload.exp ?? 0) * 1000 };
    } catch (err) {
      return fail(reasonOf(err));
    }
  }
}

/** Test/ops helper: signs an HS256 JWT. */
export function signJwtHs256(claims: Record<string, unknown>, secret: string): string {
  const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc(claims)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}
