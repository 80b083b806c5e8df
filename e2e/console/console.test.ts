/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call --
   Status bodies are raw Kubernetes JSON. */
// The fleet console in a real Chromium (playwright-core, Debian's /usr/bin/chromium) against the
// test environment's real API server (kwok nodes) and real Prometheus: fleets are created in a
// unique namespace and their status is written through the status subresource, as the operator
// would. Nothing is mocked. Prints `h20console: page load N ms` and `h20console: update latency N ms`.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { startConsole } from '../../console/server/app.js';
import type { RunningConsole } from '../../console/server/app.js';
import {
  applyCr,
  createNamespace,
  deleteNamespace,
  installCrd,
  kubectl,
  repoRoot,
  requireKubeconfig,
  waitFor,
} from '../../operator/integration/support.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function richStatus(over: Record<string, any> = {}): Record<string, any> {
  const now = new Date().toISOString();
  return {
    observedGeneration: 1,
    replicas: 2,
    readyReplicas: 2,
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'AllReplicasReady',
        message: '2 of 2 replicas ready',
        lastTransitionTime: now,
      },
      {
        type: 'Progressing',
        status: 'True',
        reason: 'CanaryStep',
        message: 'step 2 of 3 at 20%',
        lastTransitionTime: now,
      },
    ],
    autoscaling: {
      desiredReplicas: 2,
      observedLatencyMs: 180,
      inflightPerPod: 1.5,
      mode: 'stable',
      reason: 'within target',
      lastScaleTime: now,
    },
    rollout: {
      phase: 'Progressing',
      stableVersion: 'v1',
      canaryVersion: 'v2',
      currentStepIndex: 1,
      canaryWeight: 20,
      lastAnalysisAt: now,
      lastAnalysis: [
        {
          metric: 'latency',
          canary: 0.21,
          stable: 0.19,
          canaryTurns: 120,
          stableTurns: 480,
          verdict: 'Pass',
        },
        {
          metric: 'errorRate',
          canary: 0.01,
          stable: 0.008,
          canaryTurns: 120,
          stableTurns: 480,
          verdict: 'Pass',
        },
      ],
    },
    redis: {
      shards: [{ index: 0, primary: 'bot-redis-0:6379', replicas: 1, slots: '0-16383', ready: true }],
    },
    topics: [{ name: 'chatfleet.bot.turns', partitions: 6, ready: true }],
    ...over,
  };
}

describe('fleet console in Chromium', () => {
  let ns = '';
  let kc: KubeConfig;
  let objects: CustomObjectsApi;
  let running: RunningConsole | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const problems: string[] = [];

  const writeStatus = async (name: string, status: Record<string, any>): Promise<void> => {
    await objects.patchNamespacedCustomObjectStatus(
      {
        group: 'chatfleet.io',
        version: 'v1alpha1',
        namespace: ns,
        plural: 'chatbotdeployments',
        name,
        body: { status },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  };

  beforeAll(async () => {
    kc = new KubeConfig();
    kc.loadFromFile(requireKubeconfig());
    objects = kc.makeApiClient(CustomObjectsApi);
    await installCrd();
    ns = await createNamespace('h20con');
    await applyCr(ns, 'bot', {
      rollout: { steps: [{ setWeight: 5 }, { setWeight: 20 }, { setWeight: 50 }] },
    });
    await applyCr(ns, 'slow-bot', { slo: { latency: { percentile: 99, targetMs: 250 } } });
    await writeStatus('bot', richStatus());
    await writeStatus('slow-bot', {
      readyReplicas: 1,
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'SloBreached',
          message: 'p99 420 ms over 250 ms',
          lastTransitionTime: new Date().toISOString(),
        },
      ],
      autoscaling: {
        desiredReplicas: 4,
        observedLatencyMs: 420,
        mode: 'panic',
        reason: 'latency over target',
      },
    });
    const regarding = JSON.parse(await kubectl(['-n', ns, 'get', 'chatbotdeployment', 'bot', '-o', 'json']));
    await kubectl(
      ['create', '-f', '-'],
      JSON.stringify({
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name: 'bot.scaled', namespace: ns },
        eventTime: new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z'), // MicroTime: six digits
        reportingController: 'chatfleet.io/operator',
        reportingInstance: 'h20con-test',
        action: 'Scale',
        reason: 'ScaledUp',
        note: 'desired replicas 1 → 2: latency 180 ms near target',
        type: 'Normal',
        regarding: {
          apiVersion: 'chatfleet.io/v1alpha1',
          kind: 'ChatbotDeployment',
          namespace: ns,
          name: 'bot',
          uid: regarding.metadata.uid,
        },
      }),
    );
    running = await startConsole({
      kubeconfig: requireKubeconfig(),
      namespace: ns,
      port: 0,
      ...(process.env.PROMETHEUS_URL ? { prometheusUrl: process.env.PROMETHEUS_URL } : {}),
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // Root in a container; and no name resolution at all, so the page can reach nothing but 127.0.0.1.
      args: ['--no-sandbox', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
      timeout: 60_000,
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.route('**/*', (route) =>
      new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort(),
    );
    page = await context.newPage();
    page.on('console', (m) => void (m.type() === 'error' && problems.push(`console: ${m.text()}`)));
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  });

  afterAll(async () => {
    const bounded = (p: Promise<unknown> | undefined): Promise<unknown> =>
      Promise.race([p?.catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
    await bounded(browser?.close());
    await bounded(running?.close());
    if (ns) await bounded(deleteNamespace(ns));
  });

  it('lists the fleets with SLO margin, replicas, mode and rollout', async () => {
    const t0 = Date.now();
    await page.goto(running!.url);
    const row = page.locator(`tr[data-fleet="${ns}/bot"]`);
    await row.waitFor({ timeout: 30_000 });
    console.log(`h20console: page load ${Date.now() - t0} ms`);
    await expect(row.locator('th').innerText()).resolves.toBe('bot');
    const text = await row.innerText();
    expect(text).toContain('v1');
    expect(text).toContain('p95 180 ms / target 300 ms (within target)');
    expect(text).toContain('2 / 2');
    expect(text).toContain('Progressing (20%)');
    const slow = page.locator(`tr[data-fleet="${ns}/slow-bot"]`);
    await expect(slow.innerText()).resolves.toContain('p99 420 ms / target 250 ms (over target)');
    await expect(slow.locator('[data-margin]').getAttribute('data-margin')).resolves.toBe('breach');
    await expect(slow.innerText()).resolves.toContain('panic');
    await expect(page.locator('thead th').allInnerTexts()).resolves.toContain('Latency vs SLO');
    await page.screenshot({ path: `${repoRoot}docs/img/console-list.png`, fullPage: true });
  });

  it('shows the detail page: conditions, rollout analysis, Events, shards and topics; no data from Prometheus says "no data"', async () => {
    await page.locator(`tr[data-fleet="${ns}/bot"] a`).click();
    const conditions = page.locator('[data-section="conditions"]');
    await conditions.waitFor({ timeout: 30_000 });
    await expect(conditions.innerText()).resolves.toContain('AllReplicasReady');
    await expect(conditions.innerText()).resolves.toContain('step 2 of 3 at 20%');
    const body = await page.locator('main').innerText();
    expect(body).toContain('latency');
    expect(body).toContain('Pass');
    expect(body).toMatch(/Step\s+2 of 3/);
    expect(body).toContain('bot-redis-0:6379');
    expect(body).toContain('chatfleet.bot.turns');
    await page.locator('[data-section="events"]').getByText('ScaledUp').waitFor({ timeout: 30_000 });
    // A kwok fleet has no pods, so Prometheus has no series for it: every panel says so, never 0.
    await page.getByText('Source: Prometheus.').waitFor({ timeout: 30_000 });
    for (const id of ['latency', 'replicas', 'turns']) {
      await expect(page.locator(`[data-chart="${id}"] [data-no-data]`).innerText()).resolves.toBe('no data');
    }
    await page.screenshot({ path: `${repoRoot}docs/img/console-detail.png`, fullPage: true });
  });

  it('shows a status change written to the API server without a reload', async () => {
    // Runs in the page (globalThis as any: this project's types have no DOM); notes when the marker appears.
    const before = await page.evaluate(() => (globalThis as any).performance.timeOrigin as number);
    await page.evaluate(() => {
      const g = globalThis as any;
      g.seenAt = 0;
      new g.MutationObserver(() => {
        if (!g.seenAt && g.document.body.innerText.includes('h20 marker: shard 1 lost'))
          g.seenAt = Date.now();
      }).observe(g.document.body, { subtree: true, childList: true, characterData: true });
    });
    const t0 = Date.now();
    await writeStatus(
      'bot',
      richStatus({
        readyReplicas: 3,
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'ShardDown',
            message: 'h20 marker: shard 1 lost',
            lastTransitionTime: new Date().toISOString(),
          },
        ],
        autoscaling: { desiredReplicas: 5, observedLatencyMs: 290, mode: 'panic' },
      }),
    );
    await page.waitForFunction(() => (globalThis as any).seenAt > 0, undefined, { timeout: 30_000 });
    const seenAt = await page.evaluate(() => (globalThis as any).seenAt as number);
    console.log(`h20console: update latency ${seenAt - t0} ms`);
    expect(await page.evaluate(() => (globalThis as any).performance.timeOrigin as number)).toBe(before); // same document: no reload
    const facts = await page.locator('dl.facts').innerText();
    expect(facts).toContain('5 / 3');
    expect(facts).toContain('panic');
    expect(facts).toContain('(near target)');
    await expect(page.locator('[data-section="conditions"]').innerText()).resolves.toContain('ShardDown');
  });

  it('answers hostile URLs with 4xx JSON', async () => {
    const base = running!.url;
    const cases: [string, number][] = [
      ['api/fleets/Bad_NS/bot', 400],
      [`api/fleets/${ns}/${'a'.repeat(64)}`, 400],
      [`api/fleets/${ns}/nope`, 404],
      ['api/fleets/kube-system/bot', 404], // outside --namespace
      ['api/nothing', 404],
    ];
    for (const [path, code] of cases) {
      const res = await fetch(new URL(path, base), { signal: AbortSignal.timeout(10_000) });
      expect([path, res.status]).toEqual([path, code]);
      expect(typeof ((await res.json()) as { error?: unknown }).error).toBe('string');
    }
    // DNS rebinding: a page on another name that resolves to 127.0.0.1 (fetch cannot set Host; node:http can).
    const rebinding = await new Promise<number>((resolve, reject) => {
      const u = new URL('api/fleets', base);
      const req = request(
        {
          host: '127.0.0.1',
          port: u.port,
          path: u.pathname,
          headers: { host: 'evil.example' },
          timeout: 10_000,
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(rebinding).toBe(421);
  });

  it('caps live streams and frees a slot when a client goes away', async () => {
    const small = await startConsole({
      kubeconfig: requireKubeconfig(),
      namespace: ns,
      port: 0,
      maxSseClients: 2,
    });
    const open = async (): Promise<{ status: number; abort: AbortController }> => {
      const abort = new AbortController();
      const res = await fetch(new URL('api/stream', small.url), { signal: abort.signal });
      if (res.status !== 200) await res.body?.cancel();
      return { status: res.status, abort };
    };
    try {
      const a = await open();
      const b = await open();
      const c = await open();
      expect([a.status, b.status, c.status]).toEqual([200, 200, 503]);
      a.abort.abort(); // the tab is closed: its slot is free again once the server sees the socket close
      const d = await waitFor(
        'a free stream slot',
        async () => {
          const s = await open();
          return s.status === 200 ? s : undefined;
        },
        20_000,
      );
      b.abort.abort();
      d.abort.abort();
    } finally {
      await small.close();
    }
  });

  it('had no console errors and no page errors', () => {
    expect(problems).toEqual([]);
  });
});
