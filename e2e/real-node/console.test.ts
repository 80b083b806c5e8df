/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return --
   The page is driven through globalThis: this project's types have no DOM. */
/**
 * The fleet console (docs/console.md, issue 20) on a fleet under load on the real node, in Debian's
 * Chromium, with no Prometheus: the local operator (under the chart's RBAC) runs the fleet; the
 * console reads the API server with the admin kubeconfig and the pods' /metrics through the API
 * server's pod proxy.
 * - the list shows the fleet;
 * - while chat load runs, the detail page's turns chart gets new points, from the pods, without reload;
 * - when the autoscaler scales (minReplicas 1 -> 2) the page shows 2 / 2 without reload;
 * - a condition change (spec.scaling.paused: ScalingActive=False ScalingPaused) appears without reload;
 * - the page logs no errors. Prints `h20console real-node: ...` figures.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import type { Page } from 'playwright-core';
import { randomUUID } from 'node:crypto';
import { startConsole, type RunningConsole } from '../../console/server/app.js';
import { requireKubeconfig, repoRoot } from '../../operator/integration/support.js';
import { loopbackBrowser } from '../console/support.js';
import {
  BOT_IMAGE,
  CBD_API,
  adminConfig,
  describeOnRealNode,
  describePods,
  eventually,
  postJsonFresh,
  realNodeChatbot,
  realNodeStatus,
  withLocalOperator,
} from './support.js';
import { chatLoad } from './workers-support.js';

const status = await realNodeStatus();
const suffix = randomUUID().slice(0, 8);
const NAME = 'chat';
const VERSION = `v-${suffix}`;
const log = (line: string): void => void process.stdout.write(`h20console real-node: ${line}\n`);

/** The "(N points)" of the first series in a chart's text summary whose last value is above 0. */
async function livePoints(page: Page, chart: string): Promise<number | undefined> {
  const text = await page.locator(`#${chart}-summary`).innerText();
  for (const m of text.matchAll(/: last ([\d.]+)[^\n]*\((\d+) points\)/g)) {
    if (Number(m[1]) > 0) return Number(m[2]);
  }
  return undefined;
}

describeOnRealNode(status, 'real node: the fleet console follows a fleet under load', (nodeName) => {
  const kc = adminConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const namespace = `rn-console-${suffix}`;
  withLocalOperator(core, nodeName, namespace, [BOT_IMAGE]);
  let chatUrl = '';
  let running: RunningConsole | undefined;
  let closeBrowser: (() => Promise<void>) | undefined;
  let page: Page;
  let timeOrigin = 0;
  const problems: string[] = [];

  const patchSpec = (spec: Record<string, unknown>): Promise<unknown> =>
    custom.patchNamespacedCustomObject(
      { ...CBD_API, namespace, name: NAME, body: { spec } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
  const sameDocument = async (): Promise<void> =>
    expect(await page.evaluate(() => (globalThis as any).performance.timeOrigin as number)).toBe(timeOrigin);

  beforeAll(async () => {
    const body = realNodeChatbot(NAME, VERSION, { scaling: { minReplicas: 1, maxReplicas: 3 } });
    await custom.createNamespacedCustomObject({ ...CBD_API, namespace, body });
    await eventually(
      async () => {
        const c = (await custom.getNamespacedCustomObject({ ...CBD_API, namespace, name: NAME })) as {
          status?: { conditions?: { type: string; status: string }[] };
        };
        const ready = (c.status?.conditions ?? []).find((x) => x.type === 'Ready');
        return ready?.status === 'True' ? true : undefined;
      },
      'the fleet Ready',
      180_000,
    ).catch(async (err: unknown) => {
      throw new Error(`${String(err)}\n${await describePods(core, namespace)}`, { cause: err });
    });
    const svc = await core.readNamespacedService({ name: NAME, namespace });
    chatUrl = `http://${svc.spec?.clusterIP ?? ''}/v1/chat`;
    await eventually(
      async () => ((await postJsonFresh(chatUrl, { message: 'hello' })).status === 200 ? true : undefined),
      'a chat turn through the Service',
    );
    running = await startConsole({ kubeconfig: requireKubeconfig(), namespace, port: 0, sampleMs: 2000 });
    const { browser, context } = await loopbackBrowser();
    closeBrowser = () => browser.close();
    page = await context.newPage();
    page.on('console', (m) => void (m.type() === 'error' && problems.push(`console: ${m.text()}`)));
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  }, 300_000);

  afterAll(async () => {
    const bounded = (p: Promise<unknown> | undefined): Promise<unknown> =>
      Promise.race([p?.catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
    await bounded(closeBrowser?.());
    await bounded(running?.close());
  });

  it('lists the fleet', async () => {
    const t0 = Date.now();
    await page.goto(running!.url);
    const row = page.locator(`tr[data-fleet="${namespace}/${NAME}"]`);
    await row.waitFor({ timeout: 30_000 });
    log(`list page load ${Date.now() - t0} ms`);
    await expect(row.innerText()).resolves.toContain(VERSION);
    await page.waitForFunction(
      (sel) => (globalThis as any).document.querySelector(sel)?.innerText.includes('1 / 1'),
      `tr[data-fleet="${namespace}/${NAME}"]`,
      { timeout: 60_000 },
    );
    await page.screenshot({ path: `${repoRoot}docs/img/console-real-node-list.png`, fullPage: true });
  });

  it('the turns chart gets new points from the pods while load runs, without reload', async () => {
    await page.locator(`tr[data-fleet="${namespace}/${NAME}"] a`).click();
    await page.locator('[data-chart="turns"]').waitFor({ timeout: 30_000 });
    timeOrigin = await page.evaluate(() => (globalThis as any).performance.timeOrigin as number);
    const load = chatLoad(chatUrl, 10, 40);
    try {
      const first = await eventually(() => livePoints(page, 'turns'), 'turns/s above 0 on the page', 60_000);
      await expect(page.locator('#turns-note').innerText()).resolves.toMatch(
        /from 1 of 1 ready pods' \/metrics, through the API server/,
      );
      const later = await eventually(
        async () => {
          const n = await livePoints(page, 'turns');
          return n !== undefined && n >= first + 3 ? n : undefined;
        },
        'three more turns/s points',
        30_000,
      );
      log(`turns chart: ${first} -> ${later} points while the load ran`);
      await sameDocument();
      await page.screenshot({ path: `${repoRoot}docs/img/console-real-node-detail.png`, fullPage: true });
    } finally {
      const done = await load;
      expect(done.failures).toEqual([]);
    }
  }, 120_000);

  it('shows the autoscaler scaling 1 -> 2 without reload', async () => {
    const t0 = Date.now();
    await patchSpec({ scaling: { minReplicas: 2, maxReplicas: 3 } });
    await page.waitForFunction(
      () => (globalThis as any).document.querySelector('dl.facts')?.innerText.includes('2 / 2'),
      undefined,
      { timeout: 180_000 },
    );
    log(`minReplicas 2 applied -> the page shows 2 / 2 replicas: ${Date.now() - t0} ms`);
    await eventually(
      async () =>
        (await page.locator('#replicas-summary').innerText()).includes('ready: last 2') ? true : undefined,
      'the replicas chart at 2 ready',
      30_000,
    );
    await sameDocument();
  }, 240_000);

  it('shows a condition change without reload', async () => {
    await page.evaluate(() => {
      const g = globalThis as any;
      g.seenAt = 0;
      new g.MutationObserver(() => {
        const text = g.document.querySelector('[data-section="conditions"]')?.innerText ?? '';
        if (!g.seenAt && text.includes('ScalingPaused')) g.seenAt = Date.now();
      }).observe(g.document.body, { subtree: true, childList: true, characterData: true });
    });
    const t0 = Date.now();
    await patchSpec({ scaling: { minReplicas: 2, maxReplicas: 3, paused: true } });
    await page.waitForFunction(() => (globalThis as any).seenAt > 0, undefined, { timeout: 60_000 });
    const seenAt = await page.evaluate(() => (globalThis as any).seenAt as number);
    log(
      `spec.scaling.paused -> ScalingPaused on the page: ${seenAt - t0} ms (the operator's reconcile included)`,
    );
    await sameDocument();
  }, 90_000);

  it('had no console errors and no page errors', () => {
    expect(problems).toEqual([]);
  });
});
