import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Routing } from '../../rollout/routing.js';
import { freePort } from './child.js';
import { requireEnv } from './env.js';
import { metricValue, startRuntime, type Runtime } from './runtime.js';

/** A routing.json file, replaced atomically (write + rename), as a ConfigMap volume would be. */
export class RoutingFile {
  readonly dir = mkdtempSync(join(tmpdir(), 'cf-routing-'));
  readonly path = join(this.dir, 'routing.json');

  write(routing: Routing | string): void {
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, typeof routing === 'string' ? routing : JSON.stringify(routing));
    renameSync(tmp, this.path);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Pair {
  stable: Runtime;
  canary: Runtime;
  close: () => Promise<void>;
}

/**
 * Two real runtimes on loopback sharing the test environment's Redis: one per track, each
 * forwarding to the other's port, both reading the same routing file.
 */
export async function startPair(
  routing: RoutingFile,
  versions: { stable: string; canary: string },
  env: Record<string, string> = {},
): Promise<Pair> {
  const [stablePort, canaryPort] = [await freePort(), await freePort()];
  const common = {
    REDIS_URL: requireEnv('REDIS_URL'),
    CHATFLEET_ROUTING_FILE: routing.path,
    CHATFLEET_STABLE_URL: `http://127.0.0.1:${stablePort}`,
    CHATFLEET_CANARY_URL: `http://127.0.0.1:${canaryPort}`,
    RATE_LIMIT_PER_MINUTE: '0',
    ...env,
  };
  const stable = await startRuntime(
    { ...common, CHATFLEET_TRACK: 'stable', MODEL_VERSION: versions.stable },
    { port: stablePort },
  );
  const canary = await startRuntime(
    { ...common, CHATFLEET_TRACK: 'canary', MODEL_VERSION: versions.canary },
    { port: canaryPort },
  );
  return { stable, canary, close: async () => void (await Promise.all([stable.close(), canary.close()])) };
}

/** Polls until every runtime reports `generation`; resolves the time it took (ms). */
export async function waitForGeneration(
  runtimes: Runtime[],
  generation: number,
  timeoutMs = 5000,
): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const seen = await Promise.all(
      runtimes.map((r) => metricValue(r.registry, 'chatfleet_rollout_generation')),
    );
    if (seen.every((g) => g === generation)) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`generation ${generation} not applied by every runtime within ${timeoutMs} ms`);
}

export function routingOf(
  r: Partial<Routing> & Pick<Routing, 'generation'>,
  versions: { stable: string; canary: string },
): Routing {
  return {
    stableVersion: versions.stable,
    canaryVersion: versions.canary,
    canaryWeight: 0,
    aborted: false,
    ...r,
  };
}
