import { describe, expect, it } from '@jest/globals';
import { checkActionRequest } from './action-guard.js';
import type { ActionRequest } from './action-guard.js';

const ORIGIN = 'http://127.0.0.1:3100';
const good: ActionRequest = {
  enabled: true,
  origin: ORIGIN,
  allowedOrigins: [ORIGIN, 'http://localhost:3100'],
  token: 'secret-token',
  expectedToken: 'secret-token',
  contentType: 'application/json; charset=utf-8',
  action: 'pause',
  verbs: ['pause', 'resume', 'promote', 'promote-full', 'abort', 'retry'],
};

describe('checkActionRequest', () => {
  it.each<[string, Partial<ActionRequest>, number | 'ok', RegExp | null]>([
    ['a same-origin JSON request with the token', {}, 'ok', null],
    ['the other loopback name of the console', { origin: 'http://localhost:3100' }, 'ok', null],
    ['promote-full', { action: 'promote-full' }, 'ok', null],
    ['actions disabled (no --allow-actions)', { enabled: false }, 403, /--allow-actions/],
    [
      'disabled wins over everything else',
      { enabled: false, origin: undefined, token: undefined },
      403,
      /read-only/,
    ],
    ['no Origin header', { origin: undefined }, 403, /cross-origin/],
    ['another origin', { origin: 'http://evil.example' }, 403, /cross-origin/],
    ['another port on loopback', { origin: 'http://127.0.0.1:3101' }, 403, /cross-origin/],
    ['Origin null (sandboxed frame)', { origin: 'null' }, 403, /cross-origin/],
    ['no token', { token: undefined }, 403, /x-chatfleet-console-token/],
    ['a wrong token of the same length', { token: 'secret-tokeN' }, 403, /x-chatfleet-console-token/],
    ['a shorter token', { token: 'secret' }, 403, /x-chatfleet-console-token/],
    ['a text/plain body (a form or no-cors fetch)', { contentType: 'text/plain' }, 415, /application\/json/],
    ['no content type', { contentType: undefined }, 415, /application\/json/],
    ['an unknown verb', { action: 'delete' }, 400, /one of pause, resume/],
    ['a verb of another type', { action: ['pause'] }, 400, /one of/],
    ['no verb', { action: undefined }, 400, /one of/],
  ])('%s', (_what, change, want, message) => {
    // Four columns on every row: with three, jest would pass a done callback as the fourth.
    const got = checkActionRequest({ ...good, ...change });
    if (want === 'ok') expect(got).toEqual({ ok: true, verb: change.action ?? 'pause' });
    else {
      expect(got).toMatchObject({ ok: false, status: want });
      expect(got.ok ? '' : got.error).toMatch(message ?? /./);
    }
  });
});
