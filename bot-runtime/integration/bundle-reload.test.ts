import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleBundle } from '../test-support.js';
import { requireEnv, runId } from './support/env.js';
import { startFakeLlm, type FakeLlm } from './support/llm-server.js';
import { metricValue, postChat, startRuntime, type Runtime } from './support/runtime.js';

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return cond();
}

describe('model bundle hot reload and per-version answer cache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cf-reload-'));
  const file = join(dir, 'bundle.json');
  const v1 = runId('v1');
  const v2 = runId('v2');
  let llm: FakeLlm;
  let rt: Runtime;

  beforeAll(async () => {
    writeFileSync(file, JSON.stringify({ ...exampleBundle(), version: v1 }));
    llm = await startFakeLlm();
    rt = await startRuntime({
      REDIS_URL: requireEnv('REDIS_URL'),
      MODEL_BUNDLE: file,
      MODEL_BUNDLE_POLL_MS: '100',
      LLM_ENDPOINT: llm.url,
      LLM_MODEL: 'tiny',
    });
    rt.models.start();
  });
  afterAll(async () => {
    rt?.models.stop();
    await rt?.close();
    await llm?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('caches LLM answers per model version, and a reload changes the answers', async () => {
    const question = `Quokka zeppelin lemonade ${v1}?`;
    const first = await postChat(rt.url, { message: question });
    expect(first.body).toMatchObject({ source: 'llm', modelVersion: v1, reply: `llm:${question}` });
    // Same normalised question: served from the Redis answer cache, the LLM is not asked again.
    const again = await postChat(rt.url, { message: question.toUpperCase() });
    expect(again.body).toMatchObject({ source: 'cache', modelVersion: v1, reply: `llm:${question}` });
    expect(llm.calls).toBe(1);

    // New bundle: a new intent covers gift cards, and a new version isolates the cache.
    const bundle = exampleBundle();
    const intents = bundle.intents as unknown[];
    intents.push({ name: 'gift_cards', examples: [question], responses: ['Yes, gift cards from 10 EUR.'] });
    writeFileSync(file, JSON.stringify({ ...bundle, version: v2 }));
    expect(await waitFor(() => rt.models.current.version === v2, 10_000)).toBe(true);

    const afterReload = await postChat(rt.url, { message: question });
    expect(afterReload.body).toMatchObject({ source: 'intent', intent: 'gift_cards', modelVersion: v2 });

    // A question cached under v1 is not served from v1's entry under v2.
    const other = `walrus trombone ${v1}`;
    writeFileSync(file, JSON.stringify({ ...exampleBundle(), version: v1 }));
    expect(await waitFor(() => rt.models.current.version === v1, 10_000)).toBe(true);
    expect((await postChat(rt.url, { message: other })).body.source).toBe('llm');
    expect((await postChat(rt.url, { message: other })).body.source).toBe('cache');
    writeFileSync(file, JSON.stringify({ ...exampleBundle(), version: v2 }));
    expect(await waitFor(() => rt.models.current.version === v2, 10_000)).toBe(true);
    expect((await postChat(rt.url, { message: other })).body).toMatchObject({
      source: 'llm',
      modelVersion: v2,
    });
  });

  it('keeps the last good model when the file breaks, counting the error', async () => {
    const before = rt.models.current.version;
    const errorsBefore = await metricValue(rt.registry, 'chatfleet_model_reloads_total', { result: 'error' });
    writeFileSync(file, '{"version": ');
    await new Promise((r) => setTimeout(r, 500)); // a few rounds of the 100 ms poller
    expect(rt.models.current.version).toBe(before);
    expect(await metricValue(rt.registry, 'chatfleet_model_reloads_total', { result: 'error' })).toBe(
      errorsBefore + 1,
    );
    expect((await postChat(rt.url, { message: 'hello' })).body).toMatchObject({
      source: 'intent',
      modelVersion: before,
    });
  });
});
