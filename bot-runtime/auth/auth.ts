import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { AuthConfig } from '../config.js';

/**
 * Optional bearer-token auth for the chat and session routes: static API keys (AUTH_API_KEYS)
 * and/or HS256 JWTs signed with AUTH_JWT_SECRET. With neither configured, auth is off.
 */
export type AuthResult = { ok: true; subject: string | undefined } | { ok: false; reason: string };

export function authEnabled(cfg: AuthConfig): boolean {
  return cfg.apiKeys.length > 0 || cfg.jwtSecret !== undefined;
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time comparison over digests, so neither content nor length leaks through timing. */
function matchesApiKey(token: string, keys: readonly string[]): boolean {
  const t = sha256(token);
  let found = false;
  for (const k of keys) found = timingSafeEqual(t, sha256(k)) || found;
  return found;
}

function decodeJson(part: string): unknown {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
}

type Claims = { sub?: unknown; exp?: unknown; nbf?: unknown };

export function verifyJwtHs256(token: string, secret: string, nowSeconds: number): AuthResult {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'malformed token' };
  const [h, p, s] = parts as [string, string, string];
  const expected = createHmac('sha256', secret).update(`${h}.${p}`).digest();
  const given = Buffer.from(s, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad signature' };
  }
  let header: unknown;
  let claims: Claims;
  try {
    header = decodeJson(h);
    claims = decodeJson(p) as Claims;
  } catch {
    return { ok: false, reason: 'malformed token' };
  }
  if ((header as { alg?: unknown } | null)?.alg !== 'HS256')
    return { ok: false, reason: 'alg must be HS256' };
  if (typeof claims.exp === 'number' && nowSeconds >= claims.exp)
    return { ok: false, reason: 'token expired' };
  if (typeof claims.nbf === 'number' && nowSeconds < claims.nbf)
    return { ok: false, reason: 'token not yet valid' };
  return { ok: true, subject: typeof claims.sub === 'string' ? claims.sub : undefined };
}

export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

export function authenticate(token: string | undefined, cfg: AuthConfig, nowSeconds: number): AuthResult {
  if (!authEnabled(cfg)) return { ok: true, subject: undefined };
  if (token === undefined) return { ok: false, reason: 'missing bearer token' };
  if (cfg.apiKeys.length > 0 && matchesApiKey(token, cfg.apiKeys)) return { ok: true, subject: undefined };
  if (cfg.jwtSecret !== undefined && token.split('.').length === 3) {
    return verifyJwtHs256(token, cfg.jwtSecret, nowSeconds);
  }
  return { ok: false, reason: 'invalid token' };
}

/** Test/ops helper: signs an HS256 JWT. */
export function signJwtHs256(claims: Record<string, unknown>, secret: string): string {
  const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc(claims)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}
