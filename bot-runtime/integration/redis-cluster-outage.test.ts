import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from './support/child.js';
import { runId } from './support/env.js';
import { Conversation, metricValue, postChat, startRuntime, type Runtime } from './support/runtime.js';

/**
 * Own blank cluster nodes (not the shared test-env ones): the test creates the cluster on them,
 * which cannot be undone. A node without slots answers every keyed command with CLUSTERDOWN.
 */
interface BlankNodes {
  ports: number[];
  procs: ChildProcess[];
  dir: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function redisCli(args: string[]): string {
  const res = spawnSync('redis-cli', args, { encoding: 'utf8', timeout: 30_000 });
  return `${res.stdout}${res.stderr}`;
}

async function startBlankNodes(count: number): Promise<BlankNodes> {
  const dir = mkdtempSync(join(tmpdir(), 'cf-cluster-outage-'));
  const ports: number[] = [];
  for (let i = 0; i < count; i++) ports.push(await freePort());
  const procs = ports.map((port) =>
    spawn(
      'redis-server',
      [
        ...['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes'],
        ...['--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir],
        ...['--save', '', '--appendonly', 'no'],
      ],
      { stdio: 'ignore' },
    ),
  );
  for (const port of ports)
    await until(() => redisCli(['-p', String(port), 'ping']).includes('PONG'), 10_000);
  return { ports, procs, dir };
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

async function readyz(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('Redis Cluster outage (blank cluster, then created)', () => {
  let nodes: BlankNodes;
  let rt: Runtime;

  beforeAll(async () => {
    nodes = await startBlankNodes(3);
    const clusterNodes = nodes.ports.map((p) => `127.0.0.1:${p}`).join(',');
    rt = await startRuntime(
      { REDIS_CLUSTER_NODES: clusterNodes, RATE_LIMIT_PER_MINUTE: '100' },
      { requireRedis: false },
    );
  });
  afterAll(async () => {
    await rt?.close();
    for (const proc of nodes?.procs ?? []) proc.kill('SIGKILL');
    if (nodes) rmSync(nodes.dir, { recursive: true, force: true });
  });

  it('answers every turn degraded while the cluster has no slots, and stores sessions once it does', async () => {
    const ready = await readyz(rt.url);
    expect(ready).toEqual({
      status: 200,
      body: expect.objectContaining({ status: 'degraded', redis: 'down' }),
    });

    // Completion is the bound: before the fix the history step (a Cluster MULTI) waited for slots forever.
    // (An id the server cannot check while no slot is served: answered without history, never stored.)
    const sessionId = runId('blank');
    const messages = [
      'where is my order',
      'hello',
      'explain quantum chromodynamics',
      'tell me about tax law',
    ];
    const during = await Promise.all(
      messages.map((message) => postChat(rt.url, { message, sessionId, userId: 'u1' })),
    );
    expect(during.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(during.map((r) => r.body.source)).toEqual(['intent', 'intent', 'fallback', 'fallback']);
    expect(during.every((r) => r.body.turn === 0)).toBe(true); // not stored: no slot owns the session
    expect((await fetch(`${rt.url}/v1/sessions/${sessionId}`)).status).toBe(503);
    expect(await metricValue(rt.registry, 'chatfleet_session_store_errors_total')).toBeGreaterThanOrEqual(4);

    const created = redisCli([
      '--cluster',
      'create',
      ...nodes.ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    expect(created).toContain('All 16384 slots covered');
    await until(
      () =>
        nodes.ports.every((p) => redisCli(['-p', String(p), 'cluster', 'info']).includes('cluster_state:ok')),
      30_000,
    );
    await until(async () => (await readyz(rt.url)).body.redis === 'up', 30_000);
    expect((await readyz(rt.url)).body.status).toBe('ready');

    const recovered = new Conversation(rt.url);
    const first = await recovered.say('hello');
    const second = await recovered.say('where is my order');
    expect([first.status, first.body.turn, second.status, second.body.turn]).toEqual([200, 1, 200, 2]);
    const session = (await (await fetch(`${rt.url}/v1/sessions/${recovered.id}`)).json()) as {
      turns: { seq: number }[];
    };
    expect(session.turns.map((t) => t.seq)).toEqual([1, 2]);
  });
});
