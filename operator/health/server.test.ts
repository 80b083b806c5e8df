import { afterEach, describe, expect, it } from '@jest/globals';
import { Counter, Registry } from 'prom-client';
import { startHealthServer } from './server.js';
import type { HealthServer } from './server.js';

let server: HealthServer | undefined;
afterEach(async () => {
  await server?.close();
});

describe('health server', () => {
  it('serves healthz, readyz and metrics', async () => {
    const registry = new Registry();
    new Counter({ name: 'x_total', help: 'x', registers: [registry] }).inc(3);
    let ready = false;
    server = await startHealthServer(
      '127.0.0.1',
      0,
      { live: () => true, ready: () => ({ ok: ready, reason: ready ? 'leading' : 'syncing' }) },
      registry,
    );
    const base = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${base}/readyz`);
    expect([notReady.status, await notReady.text()]).toEqual([503, 'syncing\n']);
    ready = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/^x_total 3$/m);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});
