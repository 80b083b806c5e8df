import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WebSocket } from 'ws';
import { requireEnv, runId } from './support/env.js';
import { metricValue, startRuntime, type Runtime } from './support/runtime.js';
import { frames, openChatSocket as open } from './support/websocket.js';

describe('WebSocket chat', () => {
  let rt: Runtime;

  beforeAll(async () => {
    rt = await startRuntime({
      REDIS_URL: requireEnv('REDIS_URL'),
      WS_PING_INTERVAL_MS: '200',
      MAX_MESSAGE_BYTES: '64',
      AUTH_API_KEYS: 'ws-key',
    });
  });
  afterAll(async () => {
    await rt?.close();
  });

  const auth = { headers: { authorization: 'Bearer ws-key' } };

  it('answers each frame, keeps the session for the connection, and survives bad frames', async () => {
    const ws = await open(rt.url, auth);
    const next = frames(ws);
    ws.send(JSON.stringify({ message: 'hello' }));
    const first = await next();
    expect(first).toMatchObject({ intent: 'greet', source: 'intent', modelVersion: '2026.11.0', turn: 1 });
    expect(Object.keys(first).sort()).toEqual(
      ['confidence', 'intent', 'modelVersion', 'reply', 'sessionId', 'source', 'stored', 'turn'].sort(),
    );

    const bad: [string | Buffer, string][] = [
      ['{not json', 'INVALID_JSON'],
      [Buffer.from([0xff, 0x00, 0x13]), 'INVALID_JSON'],
      ['"just a string"', 'INVALID_REQUEST'],
      ['{"sessionId":"x"}', 'INVALID_REQUEST'],
      [JSON.stringify({ message: 'x'.repeat(65) }), 'MESSAGE_TOO_LARGE'],
    ];
    for (const [payload, code] of bad) {
      ws.send(payload);
      expect(await next()).toEqual({ error: { code, message: expect.any(String) } });
    }

    ws.send(JSON.stringify({ message: 'where is my order' }));
    const second = await next();
    expect(second).toMatchObject({ sessionId: first.sessionId, intent: 'order_status', turn: 2 });
    const stored = (await (await fetch(`${rt.url}/v1/sessions/${String(first.sessionId)}`, auth)).json()) as {
      turns: unknown[];
    };
    expect(stored.turns).toHaveLength(2);

    // an id the server did not make is never adopted; the connection's own session goes on
    ws.send(JSON.stringify({ message: 'hello', sessionId: runId('ws') }));
    expect(await next()).toEqual({ error: { code: 'NOT_FOUND', message: 'no such session' } });
    ws.send(JSON.stringify({ message: 'hello' }));
    expect(await next()).toMatchObject({ sessionId: first.sessionId, turn: 3 });
    expect(await metricValue(rt.registry, 'chatfleet_websocket_connections')).toBe(1);
    ws.close();
  });

  it('pings to keep connections alive and drops a client that stops answering', async () => {
    const live = await open(rt.url, auth);
    let pings = 0;
    live.on('ping', () => (pings += 1));
    const dead = await open(rt.url, { ...auth, autoPong: false });
    const deadClosed = new Promise<number>((resolve) => dead.on('close', (code: number) => resolve(code)));
    expect(await deadClosed).toBe(1006); // terminated by the server, no close frame
    expect(pings).toBeGreaterThanOrEqual(1);
    expect(live.readyState).toBe(WebSocket.OPEN);
    live.close();
  });

  it('refuses the upgrade without a token', async () => {
    const ws = new WebSocket(`${rt.url.replace('http', 'ws')}/v1/chat/ws`);
    const status = await new Promise<number>((resolve) =>
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(401);
  });
});
