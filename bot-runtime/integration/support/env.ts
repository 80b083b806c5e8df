import { execFileSync } from 'node:child_process';
import { createRedisCluster } from '../../../e2e/support/redis-cluster.js';

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
 * Tests share the six cluster nodes of the test environment and some (scale-out) leave them in
 * another shape, so every test that needs a cluster builds a fresh 3x1 one from scratch.
 */
export async function ensureRedisCluster(nodes: string): Promise<void> {
  await createRedisCluster(
    nodes.split(',').map((hostPort) => {
      const [host, port] = hostPort.split(':');
      return { host: host ?? '127.0.0.1', port: Number(port) };
    }),
  );
}
