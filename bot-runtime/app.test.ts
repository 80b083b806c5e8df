import { afterEach, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { WebSocket as WsClient, type WebSocket } from 'ws';
import { buildApp } from './app.js';
import type { ChatMessage, LlmBackend } from './answer/llm-client.js';
import { signJwtHs256 } from './auth/auth.js';
import type { ConversationEvent, EventSink } from './events/conversation-event.js';
import { testDeps } from './test-support.js';

/** An LlmBackend (our own interface) whose answers the test releases by hand. */
class GatedLlm implements LlmBackend {
  calls: ChatMessage[][] = [];
  private releases: (() => void)[] = [];
  constructor(private readonly fail = false) {}
  complete(messages: ChatMessage[]): Promise<string> {
    this.calls.push(messages);
    return new Promise((resolve, reject) => {
      this.releases.push(() =>
        this.fail ? reject(new Error('down')) : resolve(`llm says: ${messages.length}`),
      );
    });
  }
  releaseAll(): void {
    this.releases.splice(0).forEach((r) => r());
  }
  get waiting(): number {
    return this.releases.length;
  }
}

class InstantLlm implements LlmBackend {
  constructor(private readonly fail = false) {}
  complete(): Promise<string> {
    return this.fail ? Promise.reject(new Error('down')) : Promise.resolve('from the llm');
  }
}

class RecordingSink implements EventSink {
  readonly enabled = true;
  readonly connected = true;
  events: ConversationEvent[] = [];
  publish(e: ConversationEvent): void {
    this.events.push(e);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const chat = (a: FastifyInstance, body: unknown, headers: Record<string, string> = {}) =>
  a.inject({ method: 'POST', url: '/v1/chat', payload: body as object, headers });

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 2));
}

describe('POST /v1/chat', () => {
  it('answers a confident intent and creates a session', async () => {
    app = await buildApp(testDeps());
    const res = await chat(app, { message: 'Where is my order?' });
    expect(res.statusCode).toBe(200);
    const body = res.json<Record<string, unknown>>();
    expect(body).toMatchObject({ intent: 'order_status', source: 'intent', modelVersion: '2026.11.0' });
    expect(body.sessionId).toMatch(/^[A-Za-z0-9_-]{22}$/); // 128 random bits, made by the server
    expect(typeof body.reply).toBe('string');
  });

  // Without a session store nothing is stored or read, so an id cannot leak anything: it is echoed.
  it('keeps a given sessionId without a session store and reports MODEL_VERSION', async () => {
    app = await buildApp(testDeps({ MODEL_VERSION: 'v-override' }));
    const res = await chat(app, { message: 'hello', sessionId: 'my-session_1' });
    expect(res.json()).toMatchObject({ sessionId: 'my-session_1', modelVersion: 'v-override' });
  });

  it('falls back when below threshold and there is no LLM', async () => {
    app = await buildApp(testDeps());
    const res = await chat(app, { message: 'explain quantum chromodynamics' });
    expect(res.json()).toMatchObject({ source: 'fallback', reply: expect.stringMatching(/human colleague/) });
  });

  it('asks the LLM below threshold, and falls back when it fails', async () => {
    app = await buildApp(testDeps({}, { llm: new InstantLlm() }));
    expect((await chat(app, { message: 'explain quantum chromodynamics' })).json()).toMatchObject({
      source: 'llm',
      reply: 'from the llm',
    });
    await app.close();
    app = await buildApp(testDeps({}, { llm: new InstantLlm(true) }));
    expect((await chat(app, { message: 'explain quantum chromodynamics' })).json()).toMatchObject({
      source: 'fallback',
    });
  });

  it.each([
    ['invalid JSON', '{"message":', 'INVALID_JSON'],
    ['empty body', '', 'INVALID_JSON'],
    ['missing message', '{}', 'INVALID_REQUEST'],
    ['message of the wrong type', '{"message":42}', 'INVALID_REQUEST'],
    ['empty message', '{"message":""}', 'INVALID_REQUEST'],
    ['bad sessionId', '{"message":"hi","sessionId":"a b}"}', 'INVALID_REQUEST'],
    ['array body', '[1,2]', 'INVALID_REQUEST'],
    ['null body', 'null', 'INVALID_REQUEST'],
  ])('400 for %s', async (_name, payload, code) => {
    app = await buildApp(testDeps());
    const res = await app.inject({
      method: 'POST',
      url: '/v1/chat',
      payload,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code } });
  });

  it('413 over MAX_MESSAGE_BYTES, counting UTF-8 bytes', async () => {
    app = await buildApp(testDeps({ MAX_MESSAGE_BYTES: '10' }));
    expect((await chat(app, { message: 'x'.repeat(10) })).statusCode).toBe(200);
    const res = await chat(app, { message: 'é'.repeat(6) }); // 6 chars, 12 bytes
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: { code: 'MESSAGE_TOO_LARGE' } });
    const huge = await chat(app, { message: 'x'.repeat(100_000) });
    expect(huge.statusCode).toBe(413);
  });

  it('400 for a text body (a JSON object is required)', async () => {
    app = await buildApp(testDeps());
    const res = await app.inject({
      method: 'POST',
      url: '/v1/chat',
      payload: 'hi',
      headers: { 'content-type': 'text/plain' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'INVALID_REQUEST' } });
  });

  it('sheds beyond MAX_INFLIGHT with 503 + Retry-After, then admits again', async () => {
    const llm = new GatedLlm();
    app = await buildApp(testDeps({ MAX_INFLIGHT: '2' }, { llm }));
    const a = app;
    const first = [chat(a, { message: 'quantum one' }), chat(a, { message: 'quantum two' })];
    await until(() => llm.waiting === 2);
    const shed = await chat(a, { message: 'quantum three' });
    expect(shed.statusCode).toBe(503);
    expect(shed.headers['retry-after']).toBe('1');
    expect(shed.json()).toMatchObject({ error: { code: 'OVERLOADED' } });
    llm.releaseAll();
    expect((await Promise.all(first)).map((r) => r.statusCode)).toEqual([200, 200]);
    expect((await chat(a, { message: 'hello' })).statusCode).toBe(200);
    const metrics = (await a.inject('/metrics')).body;
    expect(metrics).toMatch(/chatfleet_turns_shed_total\{reason="inflight"\} 1/);
    expect(metrics).toMatch(
      /chatfleet_turn_duration_seconds_count\{model_version="2026.11.0",source="fallback",outcome="shed"\} 1/,
    );
  });

  it('refuses new turns with 503 while draining', async () => {
    app = await buildApp(testDeps());
    app.lifecycle.draining = true;
    const res = await chat(app, { message: 'hello' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: { code: 'SHUTTING_DOWN' } });
    expect((await app.inject('/readyz')).statusCode).toBe(503);
  });

  it('publishes one event per turn without message text by default', async () => {
    const sink = new RecordingSink();
    app = await buildApp(testDeps({}, { events: sink }));
    await chat(app, { message: 'hello', sessionId: 's1', userId: 'u1' });
    expect(sink.events).toHaveLength(1);
    expect(sink.events[0]).toMatchObject({
      type: 'chat.turn',
      sessionId: 's1',
      userId: 'u1',
      intent: 'greet',
    });
    expect(sink.events[0]).not.toHaveProperty('message');
  });
});

describe('auth', () => {
  it('401 without a valid bearer token on chat and sessions; ops routes stay open', async () => {
    app = await buildApp(testDeps({ AUTH_API_KEYS: 'key-1', AUTH_JWT_SECRET: 'sec' }));
    expect((await chat(app, { message: 'hi' })).statusCode).toBe(401);
    expect((await chat(app, { message: 'hi' }, { authorization: 'Bearer nope' })).json()).toMatchObject({
      error: { code: 'UNAUTHORIZED' },
    });
    expect((await app.inject('/v1/sessions/abc')).statusCode).toBe(401);
    expect((await chat(app, { message: 'hi' }, { authorization: 'Bearer key-1' })).statusCode).toBe(200);
    const jwt = signJwtHs256({ sub: 'u', exp: Math.floor(Date.now() / 1000) + 60 }, 'sec'); // exp is required
    expect((await chat(app, { message: 'hi' }, { authorization: `Bearer ${jwt}` })).statusCode).toBe(200);
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    expect((await app.inject('/metrics')).statusCode).toBe(200);
  });
});

describe('ops routes', () => {
  it('reports health, readiness, metrics and the OpenAPI document', async () => {
    app = await buildApp(testDeps());
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await app.inject('/readyz')).json()).toMatchObject({
      status: 'ready',
      redis: 'disabled',
      kafka: 'disabled',
      modelVersion: '2026.11.0',
    });
    await chat(app, { message: 'hello' });
    const metrics = (await app.inject('/metrics')).body;
    for (const name of [
      'chatfleet_turn_duration_seconds_bucket',
      'chatfleet_turns_inflight',
      'chatfleet_websocket_connections',
      'chatfleet_events_buffered',
    ]) {
      expect(metrics).toContain(name);
    }
    const doc = (await app.inject('/docs/json')).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/chat', '/v1/sessions/{id}', '/readyz']),
    );
  });

  it('answers unknown routes with a coded 404', async () => {
    app = await buildApp(testDeps());
    const res = await app.inject('/nope');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('503 on sessions without a session store', async () => {
    app = await buildApp(testDeps());
    expect((await app.inject('/v1/sessions/abc')).statusCode).toBe(503);
    expect((await app.inject('/v1/sessions/a%20b')).statusCode).toBe(400);
  });
});

describe('GET /v1/chat/ws', () => {
  function nextFrame(ws: WebSocket): Promise<Record<string, unknown>> {
    return new Promise((resolve) =>
      ws.once('message', (d: Buffer) => resolve(JSON.parse(d.toString()) as Record<string, unknown>)),
    );
  }

  it('answers frames, keeps the session, and survives bad frames', async () => {
    app = await buildApp(testDeps());
    await app.ready();
    const ws = await app.injectWS('/v1/chat/ws');
    ws.send(JSON.stringify({ message: 'hello' }));
    const first = await nextFrame(ws);
    expect(first).toMatchObject({ intent: 'greet', source: 'intent' });
    for (const bad of ['not json', '[]', '{"message":5}', '{"message":"hi","sessionId":"x y"}']) {
      ws.send(bad);
      expect(await nextFrame(ws)).toMatchObject({ error: { code: expect.stringMatching(/INVALID_/) } });
    }
    ws.send(JSON.stringify({ message: 'where is my order' }));
    const second = await nextFrame(ws);
    expect(second).toMatchObject({ intent: 'order_status', sessionId: first.sessionId });
    expect(ws.readyState).toBe(ws.OPEN);
    ws.terminate();
  });

  it('closes with 1012 when the app shuts down', async () => {
    app = await buildApp(testDeps());
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const ws = new WsClient(`${url.replace('http', 'ws')}/v1/chat/ws`);
    await new Promise((resolve) => ws.once('open', resolve));
    const closed = new Promise<number>((resolve) => ws.on('close', (code: number) => resolve(code)));
    await app.close();
    app = undefined;
    expect(await closed).toBe(1012);
  });
});
