import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import { postChat, startRuntime, type Runtime } from './support/runtime.js';

/**
 * Attack: slowloris. Clients open connections and send a request one byte per second, so each
 * holds a socket (and a parser) for as long as it likes. Before, the runtime's requestTimeout was 0
 * (a slow body was held forever) and headers were cut only by Node's 60 s default, checked every
 * 30 s. Now headers must arrive within HTTP_HEADERS_TIMEOUT_MS, the whole request within
 * HTTP_REQUEST_TIMEOUT_MS, checked every second, and the server keeps answering others.
 */
const HEADERS_MS = 2000;
const REQUEST_MS = 3000;
/** Node checks the bounds once a second: a connection is cut at most this long after its bound. */
const CHECK_SLACK_MS = 1500;

interface Drip {
  closedAfterMs: Promise<number>;
  sent: () => number;
  response: () => string;
}

/** Connects and writes `payload` one byte per second; resolves when the server closes the socket. */
function drip(url: string, payload: string, firstBurst = 0): Drip {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const started = Date.now();
  let sent = 0;
  let response = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (response += d));
  socket.on('error', () => undefined);
  const write = (n: number): void => {
    if (socket.destroyed || sent >= payload.length) return;
    socket.write(payload.slice(sent, sent + n));
    sent += n;
  };
  socket.on('connect', () => write(firstBurst || 1));
  const timer = setInterval(() => write(1), 1000);
  const closedAfterMs = new Promise<number>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      resolve(Date.now() - started);
    }),
  );
  return { closedAfterMs, sent: () => sent, response: () => response };
}

const HEADERS = 'POST /v1/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n';

describe('slowloris', () => {
  let rt: Runtime;

  beforeAll(async () => {
    rt = await startRuntime({
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_MS),
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_MS),
    });
  });
  afterAll(async () => {
    await rt?.close();
  });

  it('clients sending headers one byte per second are cut off within the bound; others are answered', async () => {
    const slow = Array.from({ length: 20 }, () =>
      drip(rt.url, `${HEADERS}X-Pad: ${'a'.repeat(200)}\r\n\r\n`),
    );
    const answered: number[] = [];
    const deadline = Date.now() + HEADERS_MS + CHECK_SLACK_MS;
    while (Date.now() < deadline) {
      answered.push((await postChat(rt.url, { message: 'where is my order' })).status);
      await new Promise((r) => setTimeout(r, 100));
    }
    const closedAfter = await Promise.all(slow.map((s) => s.closedAfterMs));
    for (const ms of closedAfter) expect(ms).toBeLessThanOrEqual(HEADERS_MS + CHECK_SLACK_MS);
    for (const s of slow) {
      expect(s.sent()).toBeLessThan(HEADERS.length); // never got to finish its headers
      expect(s.response()).toMatch(/^HTTP\/1\.1 408 /); // Node's own answer
    }
    expect(answered.length).toBeGreaterThan(5);
    expect(new Set(answered)).toEqual(new Set([200]));
  });

  it('a body sent one byte per second is cut off at the request bound', async () => {
    const body = JSON.stringify({ message: 'where is my order' });
    const head = `${HEADERS}Content-Length: ${body.length}\r\n\r\n`;
    const slow = drip(rt.url, head + body, head.length); // headers at once, then the body byte by byte
    const closedAfter = await slow.closedAfterMs;
    expect(closedAfter).toBeGreaterThanOrEqual(REQUEST_MS - 100);
    expect(closedAfter).toBeLessThanOrEqual(REQUEST_MS + CHECK_SLACK_MS);
    expect(slow.sent()).toBeLessThan(head.length + body.length);
    expect((await postChat(rt.url, { message: 'hello' })).status).toBe(200);
  });

  it('a connection that sends nothing is closed at the headers bound', async () => {
    const idle = drip(rt.url, '', 0);
    expect(await idle.closedAfterMs).toBeLessThanOrEqual(HEADERS_MS + CHECK_SLACK_MS);
  });
});
