/**
 * Shared setup of the Redis Cluster integration tests: REAL redis-servers spawned on loopback
 * (cluster-enabled, optionally password-protected like the managed pods), clients to them, and
 * cleanup. Nothing here talks to any address but 127.0.0.1 or the nodes the test environment lists.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { parseClusterInfo, parseClusterNodes } from '../redis/cluster-nodes.js';
import type { ClusterNodeInfo } from '../redis/cluster-nodes.js';

export interface HostPort {
  host: string;
  port: number;
}

export interface Spawned {
  proc: ChildProcess;
  dir: string;
  port: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const loopback = (target: HostPort | number): HostPort =>
  typeof target === 'number' ? { host: '127.0.0.1', port: target } : target;

/** One short-lived client (AUTH with `password` when given). */
export async function withClient<T>(
  target: HostPort | number,
  fn: (r: Redis) => Promise<T>,
  password?: string,
): Promise<T> {
  const r = new Redis({ ...loopback(target), password, lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  try {
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

export async function clusterInfo(
  target: HostPort | number,
  password?: string,
): Promise<Map<string, string>> {
  return withClient(target, async (r) => parseClusterInfo(String(await r.call('CLUSTER', 'INFO'))), password);
}

/** The node's own line of its CLUSTER NODES. */
export async function ownNode(
  target: HostPort | number,
  password?: string,
): Promise<ClusterNodeInfo | undefined> {
  const text = await withClient(target, async (r) => String(await r.call('CLUSTER', 'NODES')), password);
  return parseClusterNodes(text).find((n) => n.flags.includes('myself'));
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A free port whose cluster-bus port (+10000) is free too. Both stay below Linux's ephemeral range
 * (32768-60999), so an outgoing connection of the test process (Kafka, the API server) cannot take
 * either between this check and redis-server's bind.
 */
export async function freeClusterPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 12000 + Math.floor(Math.random() * 10000);
    if ((await portFree(port)) && (await portFree(port + 10000))) return port;
  }
  throw new Error('no free port pair for redis-server');
}

export interface SpawnOptions {
  /** requirepass + masterauth, like the managed pods. */
  password?: string;
  nodeTimeoutMs: number;
  /** Prefix of the temporary data directory. */
  tag: string;
}

/** Spawned redis-servers, in order; `stopSpawned` each in afterAll. */
export class RedisServers {
  readonly spawned: Spawned[] = [];

  constructor(private readonly opts: SpawnOptions) {}

  /** A blank cluster-enabled redis-server on `port` (default: a free one), once it answers PING. */
  async spawn(atPort?: number): Promise<number> {
    const port = atPort ?? (await freeClusterPort());
    const dir = mkdtempSync(join(tmpdir(), `${this.opts.tag}-`));
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes'];
    args.push(
      '--cluster-config-file',
      join(dir, 'nodes.conf'),
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
    );
    args.push('--cluster-node-timeout', String(this.opts.nodeTimeoutMs));
    if (this.opts.password)
      args.push('--requirepass', this.opts.password, '--masterauth', this.opts.password);
    const proc = spawn('redis-server', args, { stdio: 'ignore' });
    this.spawned.push({ proc, dir, port });
    for (let i = 0; i < 100; i++) {
      const ok = await withClient(port, (r) => r.ping(), this.opts.password).catch(() => undefined);
      if (ok === 'PONG') return port;
      await sleep(100);
    }
    throw new Error(`spawned redis-server on ${port} did not answer PING`);
  }

  /** Stops the server on `port` (SIGKILL: a crash) and removes its directory. */
  async stop(port: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const s = this.spawned.find((x) => x.port === port);
    if (s) await stopSpawned(s, signal);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.spawned.map((s) => stopSpawned(s)));
  }
}

export async function stopSpawned(s: Spawned, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (s.proc.exitCode === null && s.proc.signalCode === null) {
    const exited = new Promise((resolve) => s.proc.once('exit', resolve));
    s.proc.kill(signal);
    await exited;
  }
  rmSync(s.dir, { recursive: true, force: true });
}
