/** Reading one environment variable: the primitives every config parser uses. */

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export type Env = Record<string, string | undefined>;

export function str(env: Env, key: string): string | undefined {
  const v = env[key]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

export function int(
  env: Env,
  key: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const raw = str(env, key);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(`${key} must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${key} must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function bool(env: Env, key: string, fallback: boolean): boolean {
  const raw = str(env, key)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${key} must be a boolean, got "${raw}"`);
}

/** A credential exactly as given (never trimmed: the operator's admin client uses it as is); '' is unset. */
export function secret(env: Env, key: string, maxBytes: number): string | undefined {
  const v = env[key];
  if (v === undefined || v === '') return undefined;
  if (Buffer.byteLength(v, 'utf8') > maxBytes)
    throw new ConfigError(`${key} is longer than ${maxBytes} bytes`);
  return v;
}

/** Exactly "true" or "false" (any case), like the operator reads the same Secret key; undefined when unset. */
export function strictBool(env: Env, key: string): boolean | undefined {
  const raw = str(env, key)?.toLowerCase();
  if (raw === undefined) return undefined;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new ConfigError(`${key} must be "true" or "false", got "${raw.slice(0, 64)}"`);
}

export function list(env: Env, key: string): string[] {
  return (str(env, key) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function baseUrl(env: Env, key: string): string | undefined {
  const raw = str(env, key);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch (err) {
    throw new ConfigError(`${key} is not a URL: "${raw}"`, { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${key} must be http(s)`);
  return raw.replace(/\/+$/, '');
}
