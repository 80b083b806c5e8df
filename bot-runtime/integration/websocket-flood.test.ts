import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WebSocket } from 'ws';
import { metricValue, startRuntime, type Runtime } from './support/runtime.js';
import { openChatSocket as open } from './support/websocket.js';

/**
 * Attack: a WebSocket flood. Each connection costs a socket and memory for as long as the client
 * keeps it; before, a pod accepted any number (and kept idle ones forever). Now MAX_WS_CONNECTIONS
 * caps them per pod (close 1013, try again later) and WS_IDLE_TIMEOUT_MS closes silent ones (1000).
 */
const CAP = 40;

function closed(ws: WebSocket): Promise<{ code: number; afterMs: number }> {
  const started = Date.now();
  return new Promise((resolve) =>
    ws.once('close', (code: number) => resolve({ code, afterMs: Date.now() - started })),
  );
}

async function turn(ws: WebSocket, message: string): Promise<Record<string, unknown>> {
  const reply = new Promise<Record<string, unknown>>((resolve) =>
    ws.once('message', (d: Buffer) => resolve(JSON.parse(d.toString()) as Record<string, unknown>)),
  );
  ws.send(JSON.stringify({ message }));
  return reply;
}

describe('a WebSocket flood beyond the cap', () => {
  let rt: Runtime;

  beforeAll(async () => {
    rt = await startRuntime({ MAX_WS_CONNECTIONS: String(CAP), WS_IDLE_TIMEOUT_MS: '0' });
  });
  afterAll(async () => {
    await rt?.close();
  });

  it('gets 1013 beyond the cap while the connections under it keep working', async () => {
    const admitted = await Promise.all(Array.from({ length: CAP }, () => open(rt.url)));
    const flood = await Promise.all(Array.from({ length: 3 * CAP }, () => open(rt.url).then(closed)));
    expect(new Set(flood.map((f) => f.code))).toEqual(new Set([1013]));
    expect(await metricValue(rt.registry, 'chatfleet_websocket_connections')).toBe(CAP);

    const replies = await Promise.all(admitted.map((ws) => turn(ws, 'where is my order')));
    for (const r of replies) expect(r).toMatchObject({ intent: 'order_status', source: 'intent' });

    // a freed slot is usable again
    const gone = closed(admitted[0]!);
    admitted[0]!.close();
    await gone;
    const late = await open(rt.url);
    expect(await turn(late, 'hello')).toMatchObject({ intent: 'greet' });
    for (const ws of [late, ...admitted.slice(1)]) ws.close();
  });
});

describe('idle WebSockets', () => {
  let rt: Runtime;

  beforeAll(async () => {
    rt = await startRuntime({ WS_IDLE_TIMEOUT_MS: '1000', WS_PING_INTERVAL_MS: '200' });
  });
  afterAll(async () => {
    await rt?.close();
  });

  it('a silent client is closed with 1000 after the idle timeout (answering pings is not activity); a talking one stays', async () => {
    const silent = await open(rt.url);
    const talking = await open(rt.url);
    const silentClosed = closed(silent);
    let talkingClosed = false;
    talking.once('close', () => (talkingClosed = true));
    for (let i = 0; i < 6; i++) {
      expect(await turn(talking, 'hello')).toMatchObject({ intent: 'greet' });
      await new Promise((r) => setTimeout(r, 400));
    }
    const { code, afterMs } = await silentClosed;
    expect(code).toBe(1000);
    expect(afterMs).toBeGreaterThanOrEqual(900);
    expect(afterMs).toBeLessThan(2000);
    expect(talkingClosed).toBe(false);
    talking.close();
  });
});
