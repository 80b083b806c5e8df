import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { Forwarder, serverTurnMs } from './forwarder.js';

describe('serverTurnMs', () => {
  it.each<[string | null, number]>([
    ['turn;dur=1.25', 1.25],
    ['db;dur=3, turn;dur=0.5', 0.5],
    ['turn;dur=abc', 0],
    ['other;dur=9', 0],
    [null, 0],
    ['', 0],
  ])('%j -> %s', (h, ms) => expect(serverTurnMs(h)).toBe(ms));
});

describe('Forwarder against a loopback server', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  /** A server that cuts the connection of its first `cut` requests, then answers 200. */
  async function start(cut: number): Promise<{ url: string; requests: () => number }> {
    let requests = 0;
    server = createServer((req, res) => {
      requests += 1;
      if (requests <= cut) return req.socket.destroy();
      const body = JSON.stringify({ reply: 'hi', turn: 1 });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    return { url: `http://127.0.0.1:${port}`, requests: () => requests };
  }

  const turn = { body: { message: 'hi' }, authorization: undefined, token: 't' };

  it.each([
    ['a cut connection (a pod gone mid-rollout) is retried on a fresh one', 1, 2000, true, 2],
    ['three cut connections, then an answer (100 + 200 + 400 ms of backoff)', 3, 2000, true, 4],
    ['cut until the budget runs out: unreachable, after the retries that fit in 400 ms', 99, 400, false, 3],
    ['an answer on the first attempt is not repeated', 0, 2000, true, 1],
  ])('%s', async (_name, cut, budgetMs, ok, attempts) => {
    const peer = await start(cut);
    const started = performance.now();
    const result = await new Forwarder({ canary: peer.url }, budgetMs).forward('canary', turn);
    expect(performance.now() - started).toBeLessThan(budgetMs + 100);
    expect(result.ok).toBe(ok);
    if (!result.ok) expect(result.reason).toBe('unreachable');
    expect(peer.requests()).toBe(attempts);
  });
});
