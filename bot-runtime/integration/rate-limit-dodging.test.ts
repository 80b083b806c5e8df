import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WebSocket } from 'ws';
import { requireEnv, runId } from './support/env.js';
import { postChat, startRuntime, type Runtime } from './support/runtime.js';

const LIMIT = 5;
/** 14 requests fall into at most two one-minute windows, so one of them holds more than LIMIT. */
const BURST = 14;

const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

async function burst(send: (i: number) => Promise<number>): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < BURST; i++) statuses.push(await send(i));
  return statuses;
}

/** BURST WebSocket frames on one connection; the code of each reply (200 for a turn). */
async function wsBurst(url: string, headers: Record<string, string>): Promise<number[]> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/chat/ws`, { headers });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const codes: number[] = [];
  const done = new Promise<void>((resolve) =>
    ws.on('message', (d: Buffer) => {
      const frame = JSON.parse(d.toString()) as { error?: { code: string } };
      codes.push(frame.error?.code === 'RATE_LIMITED' ? 429 : frame.error ? 400 : 200);
      if (codes.length === BURST) resolve();
    }),
  );
  for (let i = 0; i < BURST; i++) ws.send(JSON.stringify({ message: 'hello' }));
  await done;
  ws.close();
  return codes;
}

/**
 * Rate-limit dodging against real runtimes and real Redis. Before: the limit was keyed on the
 * body's userId, so leaving it out or rotating it meant no limit, and WebSocket turns without a
 * JWT sub were never limited. Now the key is the principal, else the client address.
 */
describe('rate-limit dodging', () => {
  let authed: Runtime;
  let open: Runtime;
  let behindProxy: Runtime;
  const principals = ['alice', 'bob', 'carol', 'dave', 'erin'].map((p) => `${p}${runId('')}`);
  const [alice, bob, carol, dave, erin] = principals.map((p) => bearer(`${p}-key`));

  beforeAll(async () => {
    const common = { REDIS_URL: requireEnv('REDIS_URL'), RATE_LIMIT_PER_MINUTE: String(LIMIT) };
    authed = await startRuntime({
      ...common,
      FLEET_ID: `test/${runId('rl-authed')}`,
      AUTH_API_KEYS: principals.map((p) => `${p}:${p}-key`).join(','),
    });
    open = await startRuntime({ ...common, FLEET_ID: `test/${runId('rl-open')}` });
    behindProxy = await startRuntime({
      ...common,
      FLEET_ID: `test/${runId('rl-proxy')}`,
      TRUSTED_PROXIES: '127.0.0.1',
    });
  });
  afterAll(async () => {
    await Promise.all([authed, open, behindProxy].map((rt) => rt?.close()));
  });

  it('counts a principal, whatever userId the body claims; another principal has its own count', async () => {
    const statuses = await burst(
      async (i) => (await postChat(authed.url, { message: 'hello', userId: `u${i}` }, alice)).status,
    );
    expect(statuses).toContain(429);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    expect((await postChat(authed.url, { message: 'hello' }, bob)).status).toBe(200);
  });

  it('limits WebSocket frames like HTTP turns', async () => {
    expect(await wsBurst(authed.url, carol!)).toContain(429);
  });

  it('limits session reads (probing ids costs requests too)', async () => {
    const statuses = await burst(
      async () => (await fetch(`${authed.url}/v1/sessions/${runId('probe')}`, { headers: dave! })).status,
    );
    expect(statuses).toContain(429);
    expect(statuses.every((s) => s === 404 || s === 429)).toBe(true);
  });

  it('does not let a client skip the limit by claiming its turn was forwarded', async () => {
    const statuses = await burst(
      async () =>
        (await postChat(authed.url, { message: 'hello' }, { ...erin!, 'x-chatfleet-forwarded': '1' })).status,
    );
    expect(statuses).toContain(429);
  });

  it('without auth counts the client address; X-Forwarded-For only from a trusted proxy', async () => {
    // untrusted peer: a rotating X-Forwarded-For is ignored
    const rotating = await burst(
      async (i) =>
        (await postChat(open.url, { message: 'hello' }, { 'x-forwarded-for': `203.0.113.${i}` })).status,
    );
    expect(rotating).toContain(429);
    // behind a trusted proxy (the loopback peer): each client address has its own count
    const one = await burst(
      async () =>
        (await postChat(behindProxy.url, { message: 'hello' }, { 'x-forwarded-for': '198.51.100.7' })).status,
    );
    expect(one).toContain(429);
    const other = await postChat(
      behindProxy.url,
      { message: 'hello' },
      { 'x-forwarded-for': '198.51.100.8' },
    );
    expect(other.status).toBe(200);
  });
});
