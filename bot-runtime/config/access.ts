import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { baseUrl, ConfigError, int, list, str, type Env } from './env.js';

/** AUTH_* and TRUSTED_PROXIES: who may call the runtime, and whose X-Forwarded-For is believed. */

/** One accepted API key and the name that identifies its holder (the principal `key:<name>`). */
export interface ApiKey {
  name: string;
  key: string;
}

export interface AuthConfig {
  apiKeys: ApiKey[];
  jwtSecret: string | undefined; // HS256 key
  jwksUrl: string | undefined; // RS256/ES256 keys, cached, refetched on an unknown kid
  jwksCooldownMs: number;
  jwksTimeoutMs: number;
  jwtIssuer: string | undefined; // enforced when set
  jwtAudience: string[] | undefined; // enforced when set: aud must name one of these
  jwtClockSkewSeconds: number;
}

/** A TRUSTED_PROXIES entry: an IP address or a CIDR range. */
export function parseProxyEntry(entry: string): string {
  const [ip = '', bits, ...rest] = entry.split('/');
  const family = isIP(ip);
  const max = family === 6 ? 128 : 32;
  const validBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max);
  if (family === 0 || !validBits || rest.length > 0) {
    throw new ConfigError(`TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR range`);
  }
  return entry;
}

const API_KEY_NAME = /^[A-Za-z0-9_.-]{1,63}$/;

/**
 * An AUTH_API_KEYS entry: `<name>:<key>`. A bare key (no name) is named after a digest of itself,
 * so its holder still has a stable identity without the key appearing anywhere.
 */
export function parseApiKey(entry: string): ApiKey {
  const colon = entry.indexOf(':');
  const name = entry.slice(0, colon);
  if (colon > 0 && API_KEY_NAME.test(name) && colon < entry.length - 1) {
    return { name, key: entry.slice(colon + 1) };
  }
  return { name: `sha256-${createHash('sha256').update(entry).digest('hex').slice(0, 12)}`, key: entry };
}

export function parseAuth(env: Env): AuthConfig {
  const jwksUrl = baseUrl(env, 'AUTH_JWKS_URL');
  const audience = list(env, 'AUTH_JWT_AUDIENCE');
  return {
    apiKeys: list(env, 'AUTH_API_KEYS').map(parseApiKey),
    jwtSecret: str(env, 'AUTH_JWT_SECRET'),
    jwksUrl: jwksUrl === undefined ? undefined : str(env, 'AUTH_JWKS_URL'),
    jwksCooldownMs: int(env, 'AUTH_JWKS_COOLDOWN_MS', 30_000, 0, 3_600_000),
    jwksTimeoutMs: int(env, 'AUTH_JWKS_TIMEOUT_MS', 2000, 100, 60_000),
    jwtIssuer: str(env, 'AUTH_JWT_ISSUER'),
    jwtAudience: audience.length > 0 ? audience : undefined,
    jwtClockSkewSeconds: int(env, 'AUTH_JWT_CLOCK_SKEW_SECONDS', 30, 0, 300),
  };
}
