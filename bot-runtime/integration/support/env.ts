import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';

/** Integration tests need the test environment (npm run testenv:up); they fail, never skip, without it. */
export function requireEnv(name: 'REDIS_URL' | 'REDIS_CLUSTER_NODES' | 'KAFKA_BROKERS'): string {
  const v = process.env[name];
  if (!v) {
    throw new Error(
      `${name} is not set. Start the test environment (npm run testenv:up${
        name === 'REDIS_CLUSTER_NODES' ? ' -- --redis-cluster' : ''
      }) and source .testenv/env before running integration tests.`,
    );
  }
  return v;
}

export const REPO_ROOT = new URL('../../../', import.meta.url).pathname;

/** Runs a test-environment helper (testenv/kafka.sh, testenv/redis.sh) synchronously. */
export function testenvScript(script: 'kafka.sh' | 'redis.sh', action: 'stop' | 'start'): void {
  execFileSync('bash', [`${REPO_ROOT}testenv/${script}`, action], { stdio: 'inherit', timeout: 120_000 });
}

/** Unique per run, so repeated runs against the same environment never see each other's data. */
export function runId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * The test environment starts the six cluster nodes blank; whichever test comes first creates the
 * cluster. If it is already formed we use it as is.
 */
async function clusterInfo(host: string, port: number): Promise<string> {
  const c = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await c.connect();
    return await c.cluster('INFO');
  } catch (err) {
    return `unreachable: ${(err as Error).message}`;
  } finally {
    c.disconnect();
  }
}

async function waitForClusterOk(host: string, port: number, timeoutMs: number): Promise<string> {
  const end = Date.now() + timeoutMs;
  let info = await clusterInfo(host, port);
  while (!info.includes('cluster_state:ok') && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 250));
    info = await clusterInfo(host, port);
  }
  return info;
}

/**
 * The test environment starts the six cluster nodes blank; whichever test comes first creates the
 * cluster. If it is already formed we use it as is (waiting out a failover another test may cause).
 */
export async function ensureRedisCluster(nodes: string): Promise<void> {
  const list = nodes.split(',');
  const [host, portText] = list[0]!.split(':');
  const port = Number(portText);
  const info = await clusterInfo(host!, port);
  const assigned = Number(/cluster_slots_assigned:(\d+)/.exec(info)?.[1] ?? 0);
  if (assigned === 0 && !info.startsWith('unreachable')) {
    execFileSync('redis-cli', ['--cluster', 'create', ...list, '--cluster-replicas', '1', '--cluster-yes'], {
      stdio: 'inherit',
    });
  }
  const final = await waitForClusterOk(host!, port, 30_000);
  if (!final.includes('cluster_state:ok')) {
    throw new Error(
      `Redis Cluster at ${nodes} is not usable (shared with other tests?):\n${final.slice(0, 300)}`,
    );
  }
}
