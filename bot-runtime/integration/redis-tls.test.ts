/**
 * REDIS_TLS and rediss:// against the REAL Redis of the test environment, behind a TLS terminator
 * on 127.0.0.1 (a throwaway self-signed certificate for IP 127.0.0.1, made with openssl). The
 * runtime runs as the real process (npm run bot) so that NODE_EXTRA_CA_CERTS, read at process start,
 * is how it trusts the certificate, as a pod would with a private CA. Without that CA the
 * certificate is refused: TLS is verified, not merely switched on.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { Redis } from 'ioredis';
import { spawnBot, type Child } from './support/child.js';
import { requireEnv, runId } from './support/env.js';
import { postChat } from './support/runtime.js';

const dir = mkdtempSync(join(tmpdir(), 'h1cred-redis-tls-'));
const certPath = join(dir, 'cert.pem');
let terminator: Server;
let port = 0;
let handshakes = 0;
let refusedHandshakes = 0;
const sockets = new Set<Socket>();
const children: Child[] = [];

/** TLS in front of the plaintext Redis: each TLS connection is piped to a new Redis connection. */
function startTerminator(redisPort: number): Promise<void> {
  const keyPath = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ],
    { stdio: 'ignore', timeout: 30_000 },
  );
  terminator = createServer(
    { key: readFileSync(keyPath), cert: readFileSync(certPath) },
    (tls: TLSSocket) => {
      handshakes += 1;
      const upstream = connect(redisPort, '127.0.0.1');
      for (const s of [tls, upstream]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => sockets.delete(s));
      }
      tls.pipe(upstream).pipe(tls);
    },
  );
  terminator.on('tlsClientError', () => (refusedHandshakes += 1));
  return new Promise((resolve) =>
    terminator.listen(0, '127.0.0.1', () => {
      port = (terminator.address() as { port: number }).port;
      resolve();
    }),
  );
}

async function readyz(url: string): Promise<Record<string, unknown>> {
  return (await (await fetch(`${url}/readyz`)).json()) as Record<string, unknown>;
}

async function bot(env: Record<string, string>): Promise<Child> {
  const child = await spawnBot(env);
  children.push(child);
  return child;
}

describe('Redis over TLS (REDIS_TLS, rediss://)', () => {
  let redis: Redis;

  beforeAll(async () => {
    const plain = new URL(requireEnv('REDIS_URL'));
    redis = new Redis(plain.toString());
    await startTerminator(Number(plain.port));
  }, 60_000);

  afterAll(async () => {
    for (const c of children) {
      c.proc.kill('SIGKILL');
      await c.exited;
    }
    for (const s of sockets) s.destroy();
    await new Promise((r) => terminator?.close(r));
    await redis?.quit();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it.each([
    ["REDIS_TLS=true with a redis:// URL (the external Secret's tls key)", 'redis', { REDIS_TLS: 'true' }],
    ['a rediss:// URL', 'rediss', {}],
  ])(
    '%s: sessions are stored through TLS',
    async (_name, scheme, extra) => {
      const fleet = `test/${runId('h1cred-tls')}`;
      const before = handshakes;
      const child = await bot({
        REDIS_URL: `${scheme}://127.0.0.1:${port}`,
        NODE_EXTRA_CA_CERTS: certPath,
        FLEET_ID: fleet,
        ...extra,
      });
      expect(await readyz(child.url)).toMatchObject({ status: 'ready', redis: 'up' });
      const res = await postChat(child.url, { message: 'where is my order' });
      expect(res.status).toBe(200);
      const keys = await redis.keys(`cf:${fleet}:*`);
      expect(keys.some((k) => k.includes(String(res.body.sessionId)))).toBe(true);
      expect(handshakes).toBeGreaterThan(before);
    },
    90_000,
  );

  it('without the CA the certificate is refused: Redis stays down, chat answers degraded', async () => {
    const before = refusedHandshakes;
    const child = await bot({ REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_TLS: 'true' });
    expect(await readyz(child.url)).toMatchObject({ status: 'degraded', redis: 'down' });
    expect((await postChat(child.url, { message: 'hello' })).status).toBe(200);
    expect(refusedHandshakes).toBeGreaterThan(before);
  }, 90_000);
});
