/**
 * Redis access for the real-node suites: clients for Redis pods on the node's pod network, and a
 * second reference to the one Redis image inside the node's containerd (an image change with
 * nothing to pull: the network rule forbids pulling).
 */
import { Cluster, Redis } from 'ioredis';
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
