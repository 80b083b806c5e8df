/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return --
   CR bodies are raw Kubernetes JSON. */
// Rollout actions from the fleet console in a real Chromium against the test API server: with
// --allow-actions a click and a confirmation set the plugin's annotation on the CR (read back from
// the API server); Cancel sends nothing; a read-only console shows no buttons and refuses a forged
// POST; a page of another origin cannot get an action through; a user whose RBAC lacks patch sees the
// API server's 403 in the page.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startConsole } from '../../console/server/app.js';
import type { RunningConsole } from '../../console/server/app.js';
import { ROLLOUT_ACTION_ANNOTATION } from '../../operator/rollout/annotation.js';
import {
  applyCr,
  createNamespace,
  deleteNamespace,
  getCr,
  installCrd,
  kubectl,
  repoRoot,
  requireKubeconfig,
} from '../../operator/integration/support.js';
import { loopbackBrowser, serviceAccountConfig } from './support.js';

const VIEWER_ROLE = (ns: string): string =>
  JSON.stringify({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'console-viewer', namespace: ns },
    rules: [
      { apiGroups: ['chatfleet.io'], resources: ['chatbotdeployments'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['get', 'list', 'watch'] },
    ],
  });

const annotation = async (ns: string, name: string): Promise<string | undefined> =>
  (await getCr(ns, name)).metadata.annotations?.[ROLLOUT_ACTION_ANNOTATION] as string | undefined;

describe('fleet console rollout actions', () => {
  let ns = '';
  let admin: KubeConfig;
  let actions: RunningConsole; // --allow-actions, as the admin of the test env
  let readOnly: RunningConsole;
  let viewer: RunningConsole; // --allow-actions, as a user without patch
  let attacker: Server | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  const problems: string[] = [];

  const open = async (c: RunningConsole, fleet: string): Promise<Page> => {
    const page = await context.newPage();
    page.on('console', (m) => void (m.type() === 'error' && problems.push(`console: ${m.text()}`)));
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await page.goto(`${c.url}#/fleets/${ns}/${fleet}`);
    await page.locator('#fleet-title').waitFor({ timeout: 30_000 });
    return page;
  };

  beforeAll(async () => {
    admin = new KubeConfig();
    admin.loadFromFile(requireKubeconfig());
    await installCrd();
    ns = await createNamespace('h20act');
    await applyCr(ns, 'bot');
    await applyCr(ns, 'other');
    await kubectl(['apply', '-f', '-'], VIEWER_ROLE(ns));
    const viewerKc = await serviceAccountConfig(admin, ns, 'viewer');
    await kubectl([
      '-n',
      ns,
      'create',
      'rolebinding',
      'console-viewer',
      '--role=console-viewer',
      `--serviceaccount=${ns}:viewer`,
    ]);
    actions = await startConsole({ kubeConfig: admin, namespace: ns, port: 0, allowActions: true });
    readOnly = await startConsole({ kubeConfig: admin, namespace: ns, port: 0 });
    viewer = await startConsole({ kubeConfig: viewerKc, namespace: ns, port: 0, allowActions: true });
    ({ browser, context } = await loopbackBrowser());
  });

  afterAll(async () => {
    const bounded = (p: Promise<unknown> | undefined): Promise<unknown> =>
      Promise.race([p?.catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
    await bounded(browser?.close());
    attacker?.close();
    for (const c of [actions, readOnly, viewer]) await bounded(c?.close());
    if (ns) await bounded(deleteNamespace(ns));
  });

  it('click, confirm: the annotation lands on the CR; the dialog names the fleet and the action', async () => {
    const page = await open(actions, 'bot');
    await expect(page.locator('[data-mode]').innerText()).resolves.toBe('actions enabled');
    const buttons = await page
      .locator('[data-action]')
      .evaluateAll((b): (string | null)[] => b.map((x) => x.textContent));
    expect(buttons).toEqual(['Pause', 'Resume', 'Promote', 'Promote fully', 'Abort', 'Retry']);
    await page.locator('[data-action="pause"]').click();
    const dialog = page.getByRole('dialog');
    await expect(dialog.locator('h2').innerText()).resolves.toBe(`Pause the rollout of ${ns}/bot?`);
    await page.screenshot({ path: `${repoRoot}docs/img/console-action-confirm.png` });
    const started = Date.now();
    await dialog.locator('[data-confirm="pause"]').click();
    const status = page.locator('.action-ok');
    await status.waitFor({ timeout: 30_000 });
    const value = await annotation(ns, 'bot');
    expect(value).toMatch(/^pause@[0-9a-z]+-[0-9a-f]{8}$/);
    await expect(status.innerText()).resolves.toContain(`${ROLLOUT_ACTION_ANNOTATION}=${value}`);
    process.stdout.write(`h20console: action round trip ${Date.now() - started} ms\n`);
    expect(await annotation(ns, 'other')).toBeUndefined(); // only the named fleet
    await expect(page.getByRole('dialog').count()).resolves.toBe(0);
    await page.close();
  });

  it('Cancel (and Escape) leave the CR untouched', async () => {
    const before = await annotation(ns, 'bot');
    const rv = (await getCr(ns, 'bot')).metadata.resourceVersion;
    const page = await open(actions, 'bot');
    await page.locator('[data-action="abort"]').click();
    const dialog = page.getByRole('dialog');
    await expect(dialog.locator('h2').innerText()).resolves.toBe(`Abort the rollout of ${ns}/bot?`);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByRole('dialog').count()).resolves.toBe(0);
    await page.locator('[data-action="promote-full"]').click();
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await expect(page.getByRole('dialog').count()).resolves.toBe(0);
    await new Promise((r) => setTimeout(r, 1000)); // a stray request would have landed by now
    expect(await annotation(ns, 'bot')).toBe(before);
    expect((await getCr(ns, 'bot')).metadata.resourceVersion).toBe(rv);
    await page.close();
  });

  it('read-only: no buttons, and a forged POST is refused with 403', async () => {
    const page = await open(readOnly, 'bot');
    await expect(page.locator('[data-mode]').innerText()).resolves.toBe('read-only');
    await page.locator('[data-section="conditions"]').waitFor();
    await expect(page.locator('[data-action]').count()).resolves.toBe(0);
    // Even from its own origin, with the token of the console that has actions on.
    const token = ((await (await fetch(`${actions.url}api/actions`)).json()) as { token: string }).token;
    expect(await (await fetch(`${readOnly.url}api/actions`)).json()).toEqual({ enabled: false, verbs: [] });
    const forged = await page.evaluate(
      async ([path, t]) => {
        const res = await fetch(path as string, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-chatfleet-console-token': t as string },
          body: JSON.stringify({ action: 'abort' }),
        });
        return { status: res.status, body: await res.text() };
      },
      [`/api/fleets/${ns}/other/actions`, token],
    );
    expect(forged.status).toBe(403);
    expect((JSON.parse(forged.body) as { error: string }).error).toMatch(/read-only.*--allow-actions/);
    expect(await annotation(ns, 'other')).toBeUndefined();
    await page.close();
  });

  it('another origin cannot send an action, with or without the token; bad names and verbs are 4xx', async () => {
    const target = `${actions.url}api/fleets/${ns}/other/actions`;
    attacker = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>elsewhere</title>'),
    );
    await new Promise<void>((r) => attacker!.listen(0, '127.0.0.1', r));
    const port = (attacker.address() as { port: number }).port;
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    const results = await page.evaluate(async (url) => {
      const out: string[] = [];
      // A "simple" request: the browser sends it without asking, the answer is opaque.
      await fetch(url, { method: 'POST', mode: 'no-cors', body: '{"action":"abort"}' }).then(
        (r) => out.push(`no-cors ${r.type}`),
        (e: Error) => out.push(`no-cors failed ${e.name}`),
      );
      // JSON with the token header: preflighted, and the console allows no cross-origin request.
      await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-chatfleet-console-token': 'guess' },
        body: '{"action":"abort"}',
      }).then(
        (r) => out.push(`cors ${r.status}`),
        (e: Error) => out.push(`cors failed ${e.name}`),
      );
      return out;
    }, target);
    expect(results).toEqual(['no-cors opaque', 'cors failed TypeError']);
    await page.close();
    // The same from outside a browser: every guard answers on its own.
    const token = ((await (await fetch(`${actions.url}api/actions`)).json()) as { token: string }).token;
    const own = actions.url.replace(/\/$/, '');
    const post = async (o: {
      origin?: string;
      token?: string;
      type?: string;
      body?: string;
      path?: string;
    }) => {
      const headers: Record<string, string> = { 'content-type': o.type ?? 'application/json' };
      if (o.origin !== undefined) headers.origin = o.origin;
      if (o.token !== undefined) headers['x-chatfleet-console-token'] = o.token;
      const res = await fetch(o.path ?? target, {
        method: 'POST',
        headers,
        body: o.body ?? '{"action":"abort"}',
      });
      return res.status;
    };
    expect(await post({ token })).toBe(403); // no Origin
    expect(await post({ origin: `http://127.0.0.1:${port}`, token })).toBe(403);
    expect(await post({ origin: own })).toBe(403); // no token
    expect(await post({ origin: own, token: `${token.slice(1)}x` })).toBe(403);
    expect(await post({ origin: own, token, type: 'text/plain' })).toBe(415);
    expect(await post({ origin: own, token, body: '{"action":"delete"}' })).toBe(400);
    expect(await post({ origin: own, token, body: 'x'.repeat(4096) })).toBe(413);
    const elsewhere = `${actions.url}api/fleets/default/other/actions`;
    expect(await post({ origin: own, token, path: elsewhere })).toBe(404); // outside --namespace
    expect(await post({ origin: own, token, path: `${actions.url}api/fleets/${ns}/Bad_Name/actions` })).toBe(
      400,
    );
    expect(await post({ origin: own, token, path: `${actions.url}api/fleets/${ns}/nope/actions` })).toBe(404);
    expect(await annotation(ns, 'other')).toBeUndefined();
    // The control: the same request with every guard satisfied goes through.
    expect(await post({ origin: own, token, body: '{"action":"resume"}' })).toBe(200);
    expect(await annotation(ns, 'other')).toMatch(/^resume@/);
  });

  it("a user without patch on chatbotdeployments sees the API server's 403 in the page", async () => {
    const before = await annotation(ns, 'bot');
    const page = await open(viewer, 'bot');
    await page.locator('[data-action="promote"]').click();
    await page.getByRole('dialog').locator('[data-confirm="promote"]').click();
    const alert = page.locator('.action-error');
    await alert.waitFor({ timeout: 30_000 });
    const text = await alert.innerText();
    expect(text).toContain(`Promote of ${ns}/bot failed: 403`);
    expect(text).toMatch(/forbidden/i);
    expect(text).toContain(`system:serviceaccount:${ns}:viewer`);
    expect(text).toMatch(/cannot patch resource "chatbotdeployments"/);
    expect(await annotation(ns, 'bot')).toBe(before);
    // The page keeps working: the buttons are back, the live stream is up.
    await expect(page.locator('[data-action="promote"]').isEnabled()).resolves.toBe(true);
    await page.locator('[data-live="true"]').waitFor({ timeout: 10_000 });
    await page.close();
    expect(problems.filter((p) => !p.includes('403'))).toEqual([]);
  });
});
