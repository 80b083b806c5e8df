// The action route's API client: a client that failed to be created is not kept. The kubeconfig's CA file
// is missing at the first action (KubeClient.create rejects) and present at the second, which must then
// build a client and reach the (closed, loopback) API server instead of repeating the first failure.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerActions } from './actions.js';
import { ConsoleState } from './state.js';

const ORIGIN = 'http://127.0.0.1:3100';

/** A loopback port nothing listens on: connections to it are refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

function kubeConfig(server: string, caFile: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, caFile, skipTLSVerify: true }], // plain http needs it
    users: [{ name: 'u', token: 'not-a-real-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

describe('rollout actions: the API client', () => {
  let dir: string;
  let app: FastifyInstance;
  let close: () => void;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'console-actions-'));
  });

  afterEach(async () => {
    close();
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('tries again after a failed creation instead of keeping the failure', async () => {
    const caFile = join(dir, 'ca.crt');
    const kc = kubeConfig(`http://127.0.0.1:${await closedPort()}`, caFile);
    const state = new ConsoleState(() => undefined);
    state.upsertFleet({ metadata: { namespace: 'team-a', name: 'bot' } });
    app = Fastify();
    close = registerActions(app, { enabled: true, kc, state, origins: () => [ORIGIN], log: () => undefined });
    const { token } = (await app.inject({ url: '/api/actions' })).json<{ token: string }>();
    const act = async (): Promise<{ status: number; error: string }> => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/fleets/team-a/bot/actions',
        headers: { origin: ORIGIN, 'x-chatfleet-console-token': token, 'content-type': 'application/json' },
        payload: { action: 'pause' },
      });
      return { status: res.statusCode, error: res.json<{ error: string }>().error };
    };

    const first = await act();
    expect(first.status).toBe(502);
    expect(first.error).toMatch(/ENOENT/);

    await writeFile(caFile, 'the file is there now; an http:// server never uses it\n');
    const second = await act();
    expect(second.status).toBe(502);
    expect(second.error).not.toMatch(/ENOENT/);
    expect(second.error).toMatch(/ECONNREFUSED|connect/);
  });
});
