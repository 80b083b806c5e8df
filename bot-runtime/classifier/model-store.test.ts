import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createMetrics } from '../metrics.js';
import { exampleBundle } from '../test-support.js';
import { ModelStore } from './model-store.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function bundleFile(doc: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'cf-bundle-'));
  dirs.push(dir);
  const file = join(dir, 'bundle.json');
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

async function open(file: string, versionOverride?: string) {
  const registry = new Registry();
  const metrics = createMetrics(registry, false);
  const store = await ModelStore.open(
    { location: file, versionOverride, pollIntervalMs: 60_000 },
    pino({ level: 'silent' }),
    metrics,
  );
  const reloads = async (result: string): Promise<number> =>
    (await registry.getSingleMetric('chatfleet_model_reloads_total')!.get()).values.find(
      (v) => v.labels.result === result,
    )?.value ?? 0;
  return { store, reloads };
}

describe('ModelStore', () => {
  it('reloads a changed bundle without a restart', async () => {
    const file = bundleFile(exampleBundle());
    const { store, reloads } = await open(file);
    expect(store.current.version).toBe('2026.11.0');
    expect(await store.poll()).toBe(false); // unchanged
    const next = { ...exampleBundle(), version: '2026.12.0' };
    writeFileSync(file, JSON.stringify(next));
    expect(await store.poll()).toBe(true);
    expect(store.current.version).toBe('2026.12.0');
    expect(await reloads('ok')).toBe(2);
  });

  it('keeps the last good model when the bundle breaks, and counts the error once', async () => {
    const file = bundleFile(exampleBundle());
    const { store, reloads } = await open(file);
    writeFileSync(file, '{ not json');
    expect(await store.poll()).toBe(false);
    expect(await store.poll()).toBe(false);
    expect(store.current.version).toBe('2026.11.0');
    expect(await reloads('error')).toBe(1);
    writeFileSync(file, JSON.stringify({ ...exampleBundle(), threshold: 7 }));
    expect(await store.poll()).toBe(false);
    expect(await reloads('error')).toBe(2);
    writeFileSync(file, JSON.stringify({ ...exampleBundle(), version: 'fixed' }));
    expect(await store.poll()).toBe(true);
    expect(store.current.version).toBe('fixed');
  });

  it('keeps MODEL_VERSION across reloads', async () => {
    const file = bundleFile(exampleBundle());
    const { store } = await open(file, 'pinned');
    writeFileSync(file, JSON.stringify({ ...exampleBundle(), version: 'other' }));
    await store.poll();
    expect(store.current.version).toBe('pinned');
  });

  it('refuses to start on a broken bundle', async () => {
    const file = bundleFile({ name: 'x' });
    await expect(open(file)).rejects.toThrow(/version|threshold|intents/);
  });
});
