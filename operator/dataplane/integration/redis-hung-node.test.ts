import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { RedisClusterManager } from '../redis/cluster.js';
import type { ClusterReconcileResult, RedisClusterOptions } from '../redis/cluster.js';
import { ClusterNode } from '../redis/cluster-node.js';

/**
 * Redis nodes that accept TCP and then hang, as real loopback listeners: every Redis Cluster pass must end
 * within its bound with RedisReady=False/RedisUnavailable and a message that names the node.
 */
const servers: Server[] = [];
const sockets = new Set<Socket>();

async function listen(onSocket: (s: Socket) => void): Promise<number> {
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    onSocket(s);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Splits RESP arrays of bulk strings (what clients send) off `buf`; returns the commands and the rest. */
function parseCommands(buf: string): { commands: string[][]; rest: string } {
  const commands: string[][] = [];
  let rest = buf;
  for (;;) {
    const m = /^\*(\d+)\r\n/.exec(rest);
    if (!m) return { commands, rest };
    let i = m[0].length;
    const args: string[] = [];
    for (let n = 0; n < Number(m[1]); n++) {
      const h = /^\$(\d+)\r\n/.exec(rest.slice(i));
      if (!h || rest.length < i + h[0].length + Number(h[1]) + 2) return { commands, rest };
      args.push(rest.slice(i + h[0].length, i + h[0].length + Number(h[1])));
      i += h[0].length + Number(h[1]) + 2;
    }
    commands.push(args);
    rest = rest.slice(i);
  }
}

let silentPort = 0;
let halfPort = 0;
const seen: string[] = [];

beforeAll(async () => {
  // Accepts the connection, reads everything, answers nothing.
  silentPort = await listen((s) => s.resume());
  // Answers the handshake (AUTH, CLIENT SETINFO, INFO) like Redis, then never answers CLUSTER commands.
  halfPort = await listen((s) => {
    let buf = '';
    s.on('data', (d: Buffer) => {
      const parsed = parseCommands(buf + d.toString('latin1'));
      buf = parsed.rest;
      for (const [cmd = ''] of parsed.commands) {
        seen.push(cmd.toUpperCase());
        if (cmd.toUpperCase() === 'CLUSTER') continue;
        const info = 'redis_version:7.2.0\r\nloading:0\r\n';
        s.write(cmd.toUpperCase() === 'INFO' ? `$${info.length}\r\n${info}\r\n` : '+OK\r\n');
      }
    });
  });
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((srv) => new Promise<void>((resolve) => srv.close(() => resolve()))));
});

const pod = (port: number, name: string) => ({ shard: 0, ordinal: 0, host: '127.0.0.1', port, name });

/** Short bounds, so a hung node fails the pass within about a second. */
const HUNG: RedisClusterOptions = {
  password: 'pw',
  connectTimeoutMs: 300,
  commandTimeoutMs: 500,
  migrateTimeoutMs: 100,
};

/** One pass of a 1-pod cluster on `port`, and how long it took. */
async function timedPass(
  opts: RedisClusterOptions,
  port: number,
  name: string,
): Promise<{ result: ClusterReconcileResult; elapsed: number }> {
  const started = performance.now();
  const result = await new RedisClusterManager(opts).reconcile({ shards: 1, replicasPerShard: 0 }, [
    pod(port, name),
  ]);
  return { result, elapsed: performance.now() - started };
}

describe('Redis Cluster pass against nodes that never answer', () => {
  it('a node that accepts TCP and never replies: connect is bounded, RedisUnavailable names the node', async () => {
    const { result, elapsed } = await timedPass(HUNG, silentPort, 'hung-0');
    console.log(`silent node: ${elapsed.toFixed(0)} ms, ${result.condition.message}`);
    expect(result.condition).toMatchObject({
      type: 'RedisReady',
      status: 'False',
      reason: 'RedisUnavailable',
    });
    expect(result.condition.message).toMatch(
      /connect to Redis hung-0: (no answer within|no complete handshake \(Command timed out)/,
    );
    expect(elapsed).toBeLessThan(2_000);
  });

  it('a node that answers the handshake but hangs on CLUSTER NODES: the command times out', async () => {
    const { result, elapsed } = await timedPass(HUNG, halfPort, 'half-0');
    console.log(`half-open node: ${elapsed.toFixed(0)} ms, ${result.condition.message}`);
    expect(seen).toContain('AUTH');
    expect(seen).toContain('CLUSTER');
    expect(result.condition).toMatchObject({ status: 'False', reason: 'RedisUnavailable' });
    expect(result.condition.message).toMatch(/CLUSTER NODES on half-0: Command timed out/);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('one CLUSTER command times out on its own and names the node', async () => {
    const node = new ClusterNode(pod(halfPort, 'half-1'), 'pw', 300, 200);
    try {
      await node.connect();
      const started = performance.now();
      await expect(node.cluster('INFO')).rejects.toThrow(/CLUSTER INFO on half-1: Command timed out/);
      expect(performance.now() - started).toBeLessThan(1_000);
    } finally {
      node.close();
    }
  });

  it('the command timeout is never below the MIGRATE timeout (MIGRATE waits on the server)', async () => {
    const opts = { connectTimeoutMs: 300, commandTimeoutMs: 100, migrateTimeoutMs: 600 };
    const { result, elapsed } = await timedPass(opts, halfPort, 'half-4');
    expect(result.condition.message).toMatch(/CLUSTER NODES on half-4: Command timed out/);
    expect(elapsed).toBeGreaterThanOrEqual(1_550); // 600 + 1000, not 100
    expect(elapsed).toBeLessThan(3_000);
  });

  it('the whole pass has a deadline, and a cancelled pass ends at once', async () => {
    // Commands may wait 1.1 s each (migrate timeout + 1 s); the pass bound cuts it at 400 ms.
    const slowCommands = new RedisClusterManager({
      connectTimeoutMs: 300,
      commandTimeoutMs: 1_000,
      migrateTimeoutMs: 100,
      passTimeoutMs: 400,
    });
    let started = performance.now();
    const bounded = await slowCommands.reconcile({ shards: 1, replicasPerShard: 0 }, [
      pod(halfPort, 'half-2'),
    ]);
    expect(bounded.condition.message).toContain('Redis Cluster pass: no answer within 400 ms');
    expect(performance.now() - started).toBeLessThan(1_000);

    const controller = new AbortController();
    const manager = new RedisClusterManager({ connectTimeoutMs: 300, commandTimeoutMs: 5_000 });
    started = performance.now();
    setTimeout(() => controller.abort(), 200);
    const cancelled = await manager.reconcile(
      { shards: 1, replicasPerShard: 0 },
      [pod(halfPort, 'half-3')],
      controller.signal,
    );
    expect(cancelled.condition).toMatchObject({ status: 'False', reason: 'RedisUnavailable' });
    expect(cancelled.condition.message).toContain('cancelled');
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('four hung CRs in parallel all finish within the bound (no worker is held)', async () => {
    const manager = new RedisClusterManager({ ...HUNG, password: undefined });
    const started = performance.now();
    const results = await Promise.all(
      [0, 1, 2, 3].map((i) =>
        manager.reconcile({ shards: 1, replicasPerShard: 0 }, [
          pod(i % 2 ? silentPort : halfPort, `cr${i}-0`),
        ]),
      ),
    );
    expect(results.map((r) => r.condition.reason)).toEqual(Array(4).fill('RedisUnavailable'));
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
