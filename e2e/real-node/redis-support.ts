/**
 * Redis access for the real-node suites: clients for Redis pods on the node's pod network, and a
 * second reference to the one Redis image inside the node's containerd (an image change with
 * nothing to pull: the network rule forbids pulling).
 */
import { Cluster, Redis } from 'ioredis';
import type { FleetKeys } from '../../bot-runtime/sessions/keys.js';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { testenvVar } from '../support/env.js';
import { REDIS_IMAGE } from './support.js';

const run = promisify(execFile);

/** One Redis pod, bounded: 2 s to connect, 3 s per command, no retries (the caller polls). */
export function nodeClient(ip: string, password: string): Redis {
  const r = new Redis({
    host: ip,
    port: 6379,
    password,
    lazyConnect: true,
    connectTimeout: 2000,
    commandTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  r.on('error', () => undefined);
  return r;
}

/** A cluster client that rides out failovers and migrations (redirects, CLUSTERDOWN, TRYAGAIN). */
export function clusterClient(ips: readonly string[], password: string): Cluster {
  const client = new Cluster(
    ips.map((host) => ({ host, port: 6379 })),
    {
      redisOptions: { password, connectTimeout: 2000, commandTimeout: 3000 },
      clusterRetryStrategy: (times) => Math.min(200 * times, 2000),
      retryDelayOnClusterDown: 300,
      retryDelayOnFailover: 300,
      retryDelayOnTryAgain: 300,
      maxRedirections: 32,
      slotsRefreshTimeout: 3000,
    },
  );
  client.on('error', () => undefined); // failover is expected; commands report their own errors
  return client;
}

/** CLUSTER NODES of one node, one array of fields per line; [] when it does not answer. */
export async function clusterNodes(ip: string, password: string): Promise<string[][]> {
  const r = nodeClient(ip, password);
  try {
    await r.connect();
    return String(await r.call('CLUSTER', 'NODES'))
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
  } catch {
    return [];
  } finally {
    r.disconnect();
  }
}

/** The node's containerd socket, as images/import.sh and requireImageOnNode use it. */
function containerdSocket(): string {
  return (
    process.env.CONTAINERD_ADDRESS ??
    join(dirname(testenvVar('KUBECONFIG')), 'real-node', 'run', 'containerd.sock')
  );
}

export async function ctr(...args: string[]): Promise<string> {
  const { stdout } = await run('ctr', ['--address', containerdSocket(), '-n', 'k8s.io', ...args], {
    timeout: 30_000,
  });
  return stdout;
}

/** Tags the imported Redis image under `reference` inside the node's containerd (no pull). */
export async function tagRedisImage(reference: string): Promise<void> {
  const names = (await ctr('images', 'ls', '-q')).split('\n').map((l) => l.trim());
  const source = [REDIS_IMAGE, `docker.io/${REDIS_IMAGE}`].find((n) => names.includes(n));
  if (source === undefined) throw new Error(`${REDIS_IMAGE} is not in the node's containerd`);
  await ctr('images', 'tag', '--force', source, reference);
}

/** Removes a reference made by tagRedisImage; the image itself stays under REDIS_IMAGE. */
export async function untagRedisImage(reference: string): Promise<void> {
  await ctr('images', 'rm', reference).catch(() => undefined);
}

/** The TTL the suites give their sessions, as spec.sessions.ttlSeconds would. */
export const SESSION_TTL = 3600;

export async function inBatches<T, R>(
  items: readonly T[],
  width: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width)
    out.push(...(await Promise.all(items.slice(i, i + width).map(fn))));
  return out;
}

/** Sessions as the bot runtime stores them: turns list, counter and owner, one hash tag, one TTL. */
export async function writeSessions(
  client: Redis | Cluster,
  keys: FleetKeys,
  ids: readonly string[],
): Promise<void> {
  await inBatches(ids, 200, async (id) => {
    const k = keys.session(id);
    const turn = JSON.stringify({ role: 'user', text: `order ${id}`, at: Date.now() });
    await client
      .multi()
      .rpush(k.turns, turn)
      .set(k.seq, '1', 'EX', SESSION_TTL)
      .set(k.owner, '-', 'EX', SESSION_TTL)
      .expire(k.turns, SESSION_TTL)
      .exec();
  });
}

/** How many sessions are complete (owner, counter and their one turn). */
export async function readableSessions(
  client: Redis | Cluster,
  keys: FleetKeys,
  ids: readonly string[],
): Promise<number> {
  const ok = await inBatches(ids, 250, async (id) => {
    const k = keys.session(id);
    try {
      const [owner, seq, turns] = await Promise.all([
        client.get(k.owner),
        client.get(k.seq),
        client.llen(k.turns),
      ]);
      return owner === '-' && seq === '1' && turns === 1;
    } catch {
      return false; // loading, CLUSTERDOWN or a moved slot mid-failover: not readable yet
    }
  });
  return ok.filter(Boolean).length;
}

/** Up to `max` incomplete sessions, each with what is wrong ("owner=null seq=1 turns=1"), for a failure message. */
export async function incompleteSessions(
  client: Redis | Cluster,
  keys: FleetKeys,
  ids: readonly string[],
  max = 5,
): Promise<string[]> {
  const out: string[] = [];
  for (const id of ids) {
    if (out.length >= max) break;
    const k = keys.session(id);
    const [owner, seq, turns] = await Promise.all([
      client.get(k.owner).catch((e: unknown) => `error ${String(e)}`),
      client.get(k.seq).catch((e: unknown) => `error ${String(e)}`),
      client.llen(k.turns).catch((e: unknown) => `error ${String(e)}`),
    ]);
    if (owner !== '-' || seq !== '1' || turns !== 1)
      out.push(`${id}: owner=${String(owner)} seq=${String(seq)} turns=${String(turns)}`);
  }
  return out;
}
