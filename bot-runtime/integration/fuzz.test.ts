import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { seededRng } from '../../operator/autoscaler/simulation/random.js';
import { signJwtHs256 } from '../auth/auth.js';
import { spawnBot, type Child } from './support/child.js';
import { requireEnv } from './support/env.js';

/**
 * A small schema-driven HTTP fuzzer: it reads the runtime's own OpenAPI document (/docs/json),
 * derives requests for every operation (valid, mutated and malformed), sends them to a real
 * child process, and asserts that no answer is a 5xx and that the process never dies.
 * Seeded, so a failure reproduces: FUZZ_SEED=<n> FUZZ_COUNT=<n>.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261128);
const COUNT = Number(process.env.FUZZ_COUNT ?? 1500);

type Schema = {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  pattern?: string;
  $ref?: string;
};
type Operation = {
  parameters?: { in: string; name: string; schema?: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
};
type OpenApi = { paths: Record<string, Record<string, Operation>> };

class Gen {
  constructor(readonly rnd: () => number) {}
  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  string(): string {
    return this.pick([
      () => '',
      () => 'hello',
      () => 'where is my order',
      () => 'x'.repeat(this.int(9000)),
      () => 'é'.repeat(this.int(3000)),
      () => '\u0000\u0001\u001f',
      () => '\ud800', // lone surrogate
      () => '🙂'.repeat(this.int(50)),
      () => '../../etc/passwd',
      () => '{"$ne":1}',
      () => '%00%ff',
      () => 'a}b{c',
      () => Array.from({ length: this.int(40) }, () => String.fromCharCode(this.int(0xffff))).join(''),
      () => 'valid-id_123',
    ])();
  }
  anyValue(depth = 0): unknown {
    const options: (() => unknown)[] = [
      () => this.string(),
      () => this.int(2 ** 31) * (this.rnd() < 0.5 ? -1 : 1),
      () => this.rnd() * 1e308,
      () => null,
      () => true,
      () => [],
      () => ({}),
    ];
    if (depth < 3) {
      options.push(() => Array.from({ length: this.int(4) }, () => this.anyValue(depth + 1)));
      options.push(() => ({ [this.string().slice(0, 10)]: this.anyValue(depth + 1) }));
    }
    return this.pick(options)();
  }
  fromSchema(s: Schema | undefined, depth = 0): unknown {
    if (!s || depth > 4 || this.rnd() < 0.15) return this.anyValue(depth);
    if (s.enum) return this.pick(s.enum);
    if (s.type === 'object' || s.properties) return this.objectFromSchema(s, depth);
    if (s.type === 'string') return this.string();
    if (s.type === 'integer' || s.type === 'number') return this.int(1000);
    if (s.type === 'array')
      return Array.from({ length: this.int(3) }, () => this.fromSchema(s.items, depth + 1));
    return this.anyValue(depth);
  }
  objectFromSchema(s: Schema, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, sub] of Object.entries(s.properties ?? {})) {
      const keep = s.required?.includes(k) ? 0.9 : 0.5; // sometimes drop required fields too
      if (this.rnd() < keep) out[k] = this.fromSchema(sub, depth + 1);
    }
    if (this.rnd() < 0.2) out[this.string().slice(0, 8) || 'extra'] = this.anyValue(depth + 1);
    if (this.rnd() < 0.05) out.__proto__ = { polluted: true };
    return out;
  }
  rawBody(valid: unknown): string {
    const json = JSON.stringify(valid) ?? '';
    return this.pick([
      () => json,
      () => json.slice(0, this.int(json.length + 1)),
      () => '['.repeat(5000) + ']'.repeat(5000),
      () => '{"message":"' + 'a'.repeat(30_000) + '"}',
      () => Buffer.from(Array.from({ length: this.int(200) }, () => this.int(256))).toString('latin1'),
      () => '{"message": 1e999999}',
      () => '{"__proto__": {"isAdmin": true}, "message": "hi"}',
      () => '{"constructor": {"prototype": {"x": 1}}, "message": "hi"}',
      () => '',
      () => 'null',
    ])();
  }
}

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

function operations(doc: OpenApi): { method: string; path: string; op: Operation }[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  );
}

/** Encodes any string, including lone surrogates; sometimes returns raw invalid percent-escapes. */
function pathSegment(g: Gen): string {
  if (g.rnd() < 0.1) return g.pick(['%ff%fe', '%c0%80', '%', '%zz', '..%2f..']);
  return encodeURIComponent(g.string().toWellFormed()).slice(0, 2000) || '%20';
}

function buildRequest(g: Gen, ops: ReturnType<typeof operations>): FuzzRequest {
  const { method, path, op } = g.pick(ops);
  let url = path;
  for (const p of op.parameters ?? []) {
    if (p.in === 'path') url = url.replace(`{${p.name}}`, pathSegment(g));
  }
  if (g.rnd() < 0.1) url += `?${pathSegment(g).slice(0, 50)}=${pathSegment(g).slice(0, 50)}`;
  const realMethod = g.rnd() < 0.05 ? g.pick(['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']) : method;
  const headers: Record<string, string> = {};
  const schema = op.requestBody?.content['application/json']?.schema;
  if (!schema || realMethod === 'GET' || realMethod === 'HEAD')
    return { method: realMethod, path: url, headers };
  headers['content-type'] = g.pick([
    'application/json',
    'application/json',
    'application/json; charset=utf-8',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json; charset=utf-16',
  ]);
  if (g.rnd() < 0.1)
    headers.authorization = g.pick(['Bearer ', 'Bearer a.b.c', 'Basic Zm9v', 'Bearer ' + 'x'.repeat(5000)]);
  return { method: realMethod, path: url, headers, body: g.rawBody(g.fromSchema(schema)) };
}

/**
 * Sends the requests over 8 concurrent workers; every 5xx is a failure, described by `describe`
 * (its status first). Returns the failures and how many answers each status got.
 */
async function sendAll(
  url: string,
  requests: FuzzRequest[],
  describe: (r: FuzzRequest) => string,
): Promise<{ failures: string[]; statuses: Map<number, number> }> {
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  let i = 0;
  const worker = async (): Promise<void> => {
    while (i < requests.length) {
      const r = requests[i++]!;
      const res = await fetch(`${url}${r.path}`, { method: r.method, headers: r.headers, body: r.body });
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status >= 500) failures.push(`${res.status} ${describe(r)}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return { failures, statuses };
}

/** A real bot process on the test Redis, without the rate limit (all the fuzz comes from one address). */
function fuzzBot(env: Record<string, string> = {}): Promise<Child> {
  return spawnBot({
    REDIS_URL: requireEnv('REDIS_URL'),
    RATE_LIMIT_PER_MINUTE: '0',
    LOG_LEVEL: 'warn',
    ...env,
  });
}

describe('HTTP API fuzzing from the OpenAPI document', () => {
  let bot: Child;

  beforeAll(async () => {
    bot = await fuzzBot();
  });
  afterAll(async () => {
    bot?.proc.kill('SIGTERM');
    await bot?.exited;
  });

  it(`answers ${COUNT} generated requests without a 5xx or a crash (seed ${SEED})`, async () => {
    const doc = (await (await fetch(`${bot.url}/docs/json`)).json()) as OpenApi;
    const ops = operations(doc);
    expect(ops.map((o) => `${o.method} ${o.path}`)).toEqual(
      expect.arrayContaining(['POST /v1/chat', 'GET /v1/sessions/{id}']),
    );
    const g = new Gen(seededRng(SEED));
    const requests = Array.from({ length: COUNT }, () => buildRequest(g, ops));
    const { failures, statuses } = await sendAll(bot.url, requests, (r) =>
      [r.method, r.path, JSON.stringify(r.headers), r.body?.slice(0, 200)].join(' '),
    );
    expect(failures).toEqual([]);
    expect(bot.proc.exitCode).toBeNull();
    expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
    // The corpus exercised both success and rejection paths.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
    console.log('fuzz status histogram', Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])));
  });
});

/** Hostile bearer tokens: forged, malformed and oversized JWTs and keys (for the authenticated run). */
function hostileToken(g: Gen, secret: string): string {
  const b64 = (o: unknown): string =>
    Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64url');
  const exp = Math.floor(Date.now() / 1000) + 600;
  return g.pick([
    () => `${b64({ alg: 'none' })}.${b64({ sub: 'x', exp })}.`,
    () => `${b64({ alg: 'HS256', crit: ['b64'], b64: false })}.${b64({ exp })}.c2ln`,
    () =>
      `${b64({ alg: 'RS256', kid: '../../etc/passwd', jku: 'http://127.0.0.1:1/jwks' })}.${b64({ exp })}.c2ln`,
    () => `${b64([1, 2, 3])}.${b64({ exp })}.c2ln`,
    () => `${b64('not json')}.${b64('{')}.${b64('x')}`,
    () => `${b64({ alg: 'x'.repeat(3000) })}.${b64({})}.`,
    () => '..',
    () => 'a.b.c.d',
    () =>
      signJwtHs256({ sub: { nested: true }, exp: 'soon', nbf: -1e308, aud: Array(200).fill('a') }, secret),
    () => signJwtHs256({ sub: 'u', exp: 1e308 }, secret),
    () => signJwtHs256({ sub: 'u', exp }, 'wrong-secret'),
    () => signJwtHs256({ sub: 'u' }, secret), // no exp
    () => `${b64({ alg: 'HS256' })}.${b64({ exp })}.${'A'.repeat(7000)}`,
    () =>
      g
        .string()
        .replace(/[^\x21-\x7e]/g, 'x')
        .slice(0, 6000) || 'x',
  ])();
}

describe('HTTP API fuzzing of the authenticated routes', () => {
  const secret = 'fuzz-hs256-secret';
  let bot: Child;

  beforeAll(async () => {
    bot = await fuzzBot({ AUTH_API_KEYS: 'fuzz-key', AUTH_JWT_SECRET: secret });
  });
  afterAll(async () => {
    bot?.proc.kill('SIGTERM');
    await bot?.exited;
  });

  it(`answers ${COUNT} generated requests with good and hostile tokens without a 5xx (seed ${SEED})`, async () => {
    const doc = (await (await fetch(`${bot.url}/docs/json`)).json()) as OpenApi;
    const ops = operations(doc);
    const g = new Gen(seededRng(SEED + 1));
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const requests = Array.from({ length: COUNT }, () => {
      const r = buildRequest(g, ops);
      const token = g.pick([
        () => 'fuzz-key',
        () => signJwtHs256({ sub: `user-${g.int(50)}`, exp }, secret),
        () => hostileToken(g, secret),
        () => hostileToken(g, secret),
      ])();
      if (g.rnd() < 0.1)
        return { ...r, path: `${r.path}${r.path.includes('?') ? '&' : '?'}access_token=${token}` };
      return { ...r, headers: { ...r.headers, authorization: `Bearer ${token}` } };
    });
    const { failures, statuses } = await sendAll(bot.url, requests, (r) =>
      [r.method, r.path.slice(0, 200), r.body?.slice(0, 200)].join(' '),
    );
    expect(failures).toEqual([]);
    expect(bot.proc.exitCode).toBeNull();
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
    expect(statuses.get(401) ?? 0).toBeGreaterThan(0);
    console.log(
      'authenticated fuzz status histogram',
      Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])),
    );
  });
});
