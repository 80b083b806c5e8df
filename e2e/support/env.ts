/**
 * Access to the test environment that `npm run testenv:up` started. Tests that talk to real
 * services call these; a missing variable fails the test with instructions, never skips it.
 */
export function testenvVar(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(
      `${name} is not set: start the test environment (npm run testenv:up -- --redis-cluster) ` +
        `and load it (set -a; source .testenv/env; set +a), or run the suite through npm test.`,
    );
  }
  return value;
}

export function redisClusterNodes(): Array<{ host: string; port: number }> {
  return testenvVar('REDIS_CLUSTER_NODES')
    .split(',')
    .map((hostPort) => {
      const [host, port] = hostPort.split(':');
      return { host: host ?? '127.0.0.1', port: Number(port) };
    });
}

/** Binaries of the test environment; kubectl matches the API server's version. */
export function kubectlPath(): string {
  return process.env.KUBECTL ?? 'kubectl';
}
