import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.js';
import { testDeps } from '../test-support.js';
import { validateChatBody } from './chat-body.js';
import { parseFrame } from './websocket.js';

/** The HTTP body and the WebSocket frame are one schema: every input gets the same verdict on both. */
describe('one chat body schema for HTTP and WebSocket', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildApp(testDeps());
  });
  afterAll(() => app.close());

  it.each<[string, unknown, 'ok' | 'INVALID_REQUEST']>([
    ['a message', { message: 'hi' }, 'ok'],
    ['a message and a userId', { message: 'hi', userId: 'u-1' }, 'ok'],
    ['no message', { sessionId: 'x' }, 'INVALID_REQUEST'],
    ['a number as message (never coerced)', { message: 42 }, 'INVALID_REQUEST'],
    ['an empty message', { message: '' }, 'INVALID_REQUEST'],
    ['a sessionId with a space', { message: 'hi', sessionId: 'a b' }, 'INVALID_REQUEST'],
    ['an empty userId', { message: 'hi', userId: '' }, 'INVALID_REQUEST'],
    ['an array', [1, 2], 'INVALID_REQUEST'],
    ['null', null, 'INVALID_REQUEST'],
    ['a string', 'just a string', 'INVALID_REQUEST'],
  ])('%s', async (_name, doc, verdict) => {
    const text = JSON.stringify(doc);
    expect(validateChatBody(doc)).toBe(verdict === 'ok');

    const frame = parseFrame(Buffer.from(text), 4096);
    expect(frame.ok ? 'ok' : frame.code).toBe(verdict);

    const res = await app.inject({
      method: 'POST',
      url: '/v1/chat',
      headers: { 'content-type': 'application/json' },
      payload: text,
    });
    expect(res.statusCode === 200 ? 'ok' : res.json<{ error: { code: string } }>().error.code).toBe(verdict);
    if (verdict !== 'ok') expect(res.statusCode).toBe(400);
  });

  it('names the field a frame got wrong, as the HTTP error does', async () => {
    const frame = parseFrame(Buffer.from('{"message":""}'), 4096);
    expect(frame).toMatchObject({
      ok: false,
      message: 'frame/message must NOT have fewer than 1 characters',
    });
    const res = await app.inject({ method: 'POST', url: '/v1/chat', payload: { message: '' } });
    expect(res.json<{ error: { message: string } }>().error.message).toBe(
      'body/message must NOT have fewer than 1 characters',
    );
  });
});
