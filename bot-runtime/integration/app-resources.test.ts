import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type AppDeps } from '../app.js';
import { exampleBundle, testDeps } from '../test-support.js';
import { requireEnv, runId } from './support/env.js';
import { connectionInodes, connectionsTo, portOf } from './support/sockets.js';

const redisUrl = requireEnv('REDIS_URL');
const brokers = requireEnv('KAFKA_BROKERS');
const redisPort = portOf(redisUrl);
const kafkaPort = portOf(brokers.split(',')[0] ?? '');

async function eventually(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

function deps(env: Record<string, string>): AppDeps {
  const kafka = { KAFKA_BROKERS: brokers, KAFKA_EVENTS_TOPIC: runId('rt-resources') };
  const all = { REDIS_URL: redisUrl, ...kafka, EVENTS_FLUSH_TIMEOUT_MS: '1000', ...env };
  return testDeps(all, { redisConnectTimeoutMs: 10_000 });
}

/**
 * A model bundle URL that fails (404), answered only once the process holds a connection to the
 * broker: the build then fails after Redis and Kafka were both really open.
 */
async function bundleFailingAfterKafka(
  seen: { redis: number; kafka: number },
  before: Baseline,
): Promise<Server> {
  const server = createServer((_req, res) => {
    void eventually(() => connectionsTo(kafkaPort, before.kafka) > 0, 4000).then(() => {
      seen.redis = connectionsTo(redisPort, before.redis);
      seen.kafka = connectionsTo(kafkaPort, before.kafka);
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** The connections this process held before a test (other suites' in the same Jest process). */
interface Baseline {
  redis: ReadonlySet<string>;
  kafka: ReadonlySet<string>;
}
const baseline = (): Baseline => ({ redis: connectionInodes(redisPort), kafka: connectionInodes(kafkaPort) });

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

describe('buildApp owns the resources it opens', () => {
  it('a build that fails after Redis and Kafka opened leaves no connection open', async () => {
    const before = baseline();
    const seen = { redis: 0, kafka: 0 };
    server = await bundleFailingAfterKafka(seen, before);
    const { port } = server.address() as AddressInfo;

    await expect(buildApp(deps({ MODEL_BUNDLE: `http://127.0.0.1:${port}/bundle.json` }))).rejects.toThrow(
      /answered 404/,
    );

    expect(seen.redis).toBeGreaterThan(0); // the failure came after Redis...
    expect(seen.kafka).toBeGreaterThan(0); // ...and after Kafka had connected
    expect(await eventually(() => connectionsTo(redisPort, before.redis) === 0, 5000)).toBe(true);
    expect(await eventually(() => connectionsTo(kafkaPort, before.kafka) === 0, 5000)).toBe(true);
  });

  it('close() releases Redis, the Kafka thread and the bundle watcher', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rt-resources-'));
    const bundlePath = join(dir, 'bundle.json');
    const writeVersion = (version: string): Promise<void> =>
      writeFile(bundlePath, JSON.stringify({ ...exampleBundle(), version }));
    await writeVersion('v1');
    const before = baseline();
    const app = await buildApp(deps({ MODEL_BUNDLE: bundlePath, MODEL_BUNDLE_POLL_MS: '50' }));
    try {
      expect(app.redis?.status).toBe('ready');
      expect(connectionsTo(redisPort, before.redis)).toBeGreaterThan(0);
      expect(
        await eventually(() => app.events.connected && connectionsTo(kafkaPort, before.kafka) > 0, 15_000),
      ).toBe(true);
      await writeVersion('v2');
      expect(await eventually(() => app.models.current.version === 'v2', 5000)).toBe(true);
    } finally {
      await app.close();
    }

    expect(await eventually(() => app.redis?.status === 'end', 5000)).toBe(true);
    expect(await eventually(() => connectionsTo(redisPort, before.redis) === 0, 5000)).toBe(true);
    expect(await eventually(() => connectionsTo(kafkaPort, before.kafka) === 0, 5000)).toBe(true);
    await writeVersion('v3'); // the watcher is stopped: ten poll intervals later the model is unchanged
    await new Promise((r) => setTimeout(r, 500));
    expect(app.models.current.version).toBe('v2');
    await rm(dir, { recursive: true, force: true });
  });
});
