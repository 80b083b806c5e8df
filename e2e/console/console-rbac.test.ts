/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment --
   Status bodies and audit lines are raw Kubernetes JSON. */
// The fleet console as a user with only the read-only rules docs/console.md lists (a ServiceAccount
// token, Role in one namespace), without Prometheus: the charts come from the status the console
// samples, and draw; a user with no role at all sees the API server's refusal. The audit log shows
// (which records writes) has no request of the console's user.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Browser, BrowserContext } from 'playwright-core';
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
import { loopbackBrowser, serviceAccountConfig } from './support.js';

const READ_ONLY_ROLE = (ns: string): string =>
  JSON.stringify({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'console-viewer', namespace: ns },
    rules: [
      { apiGroups: ['chatfleet.io'], resources: ['chatbotdeployments'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['get', 'list', 'watch'] },
    ],
  });

describe('fleet console with read-only RBAC and no Prometheus', () => {
  let ns = '';
  let admin: KubeConfig;
  let viewer: KubeConfig;
  let objects: CustomObjectsApi;
  const consoles: RunningConsole[] = [];
  let browser: Browser | undefined;
  let context: BrowserContext;
  const problems: string[] = [];

  const tokenConfig = (account: string): Promise<KubeConfig> => serviceAccountConfig(admin, ns, account);

  const writeStatus = async (status: Record<string, any>): Promise<void> => {
    await objects.patchNamespacedCustomObjectStatus(
      {
        group: 'chatfleet.io',
        version: 'v1alpha1',
        namespace: ns,
        plural: 'chatbotdeployments',
        name: 'bot',
        body: { status },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  };

  beforeAll(async () => {
    admin = new KubeConfig();
    admin.loadFromFile(requireKubeconfig());
    objects = admin.makeApiClient(CustomObjectsApi);
    await installCrd();
    ns = await createNamespace('h20con');
    await applyCr(ns, 'bot');
    await writeStatus({
      readyReplicas: 1,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'AllReplicasReady',
          message: '1 of 1',
          lastTransitionTime: new Date().toISOString(),
        },
      ],
      autoscaling: { desiredReplicas: 1, observedLatencyMs: 180, mode: 'stable' },
    });
    await kubectl(['apply', '-f', '-'], READ_ONLY_ROLE(ns));
    await kubectl([
      '-n',
      ns,
      'create',
      'rolebinding',
      'console-viewer',
      '--role=console-viewer',
      `--serviceaccount=${ns}:viewer`,
    ]).catch(() => undefined);
    viewer = await tokenConfig('viewer');
    await kubectl([
      '-n',
      ns,
      'create',
      'rolebinding',
      'console-viewer',
      '--role=console-viewer',
      `--serviceaccount=${ns}:viewer`,
    ]).catch(() => undefined);
    const nobody = await tokenConfig('nobody');
    consoles.push(await startConsole({ kubeConfig: viewer, namespace: ns, port: 0, sampleMs: 300 }));
    consoles.push(await startConsole({ kubeConfig: nobody, namespace: ns, port: 0 }));
    ({ browser, context } = await loopbackBrowser());
  });

  afterAll(async () => {
    const bounded = (p: Promise<unknown> | undefined): Promise<unknown> =>
      Promise.race([p?.catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
    await bounded(browser?.close());
    for (const c of consoles) await bounded(c.close());
    if (ns) await bounded(deleteNamespace(ns));
  });

  it('draws the status-sampled charts and follows a scale-up; turns by source say "no data"', async () => {
    const page = await context.newPage();
    page.on('console', (m) => void (m.type() === 'error' && problems.push(`console: ${m.text()}`)));
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await page.goto(`${consoles[0]!.url}#/fleets/${ns}/bot`);
    await page.getByText("Source: the fleet's status").waitFor({ timeout: 30_000 });
    await page.locator('[data-chart="latency"] canvas').waitFor({ timeout: 30_000 });
    await expect(page.locator('[data-chart="latency"] .chart-summary').innerText()).resolves.toMatch(
      /observed: last 180 ms/,
    );
    await expect(page.locator('[data-chart="turns"] [data-no-data]').innerText()).resolves.toBe('no data');
    // The history keeps one point per second: scale up in a later second than the first sample.
    await new Promise((r) => setTimeout(r, 1100));
    await writeStatus({
      readyReplicas: 3,
      autoscaling: { desiredReplicas: 4, observedLatencyMs: 260, mode: 'panic' },
    });
    await page
      .locator('[data-chart="replicas"] .chart-summary')
      .getByText(/desired: last 4, min 1, max 4/)
      .waitFor({ timeout: 30_000 });
    await expect(page.locator('[data-chart="latency"] .chart-summary').innerText()).resolves.toMatch(
      /observed: last 260 ms, min 180 ms, max 260 ms/,
    );
    await expect(page.locator('dl.facts').innerText()).resolves.toContain('(near target)');
    // The operator's scale Event, marked on the replicas chart's time axis, arrives live too.
    const uid = JSON.parse(await kubectl(['-n', ns, 'get', 'chatbotdeployment', 'bot', '-o', 'json']))
      .metadata.uid;
    await kubectl(
      ['create', '-f', '-'],
      JSON.stringify({
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name: 'bot.scaledup', namespace: ns },
        eventTime: new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z'),
        reportingController: 'chatfleet.io/operator',
        reportingInstance: 'h20con-test',
        action: 'Scale',
        reason: 'ScaledUp',
        note: 'desired replicas 1 → 4',
        type: 'Normal',
        regarding: {
          apiVersion: 'chatfleet.io/v1alpha1',
          kind: 'ChatbotDeployment',
          namespace: ns,
          name: 'bot',
          uid,
        },
      }),
    );
    await page
      .locator('[data-chart="replicas"] [data-marks]', {
        hasText: /Marked \(dashed lines\): ScaledUp \(desired replicas 1 → 4\) at /,
      })
      .waitFor({ timeout: 30_000 })
      .catch(async (err: unknown) => {
        throw new Error(
          `${String(err)}\nreplicas chart: ${await page.locator('[data-chart="replicas"]').innerText()}\nevents: ${await page.locator('[data-section="events"]').innerText()}`,
        );
      });
    await page.screenshot({ path: `${repoRoot}docs/img/console-detail-status.png`, fullPage: true });
    expect(problems).toEqual([]);
  });

  it('after the console restarts, the open page reconnects and catches up without reload', async () => {
    const page = await context.newPage();
    const url = consoles[0]!.url;
    await page.goto(url);
    await page.locator(`tr[data-fleet="${ns}/bot"]`).waitFor({ timeout: 30_000 });
    await page.locator('[data-live="true"]').waitFor({ timeout: 30_000 });
    const origin = await page.evaluate(() => (globalThis as any).performance.timeOrigin as number);
    await consoles[0]!.close();
    await page.locator('[data-live="false"]').waitFor({ timeout: 30_000 });
    await applyCr(ns, 'late-bot'); // made while the console is down: no stream could carry it
    consoles[0] = await startConsole({
      kubeConfig: viewer,
      namespace: ns,
      port: Number(new URL(url).port),
      sampleMs: 300,
    });
    await page.locator(`tr[data-fleet="${ns}/late-bot"]`).waitFor({ timeout: 30_000 });
    await expect(page.locator('[data-live]').getAttribute('data-live')).resolves.toBe('true');
    expect(await page.evaluate(() => (globalThis as any).performance.timeOrigin as number)).toBe(origin);
    await page.close();
  });

  it('shows a user with no role the API server refusal instead of an empty list', async () => {
    const page = await context.newPage();
    await page.goto(consoles[1]!.url);
    await expect(page.getByRole('alert').innerText()).resolves.toMatch(/forbidden/i);
  });

  it("sent no write as the viewer (the audit log records writes; the control: this test's own status writes are there)", async () => {
    const log = process.env.KUBE_AUDIT_LOG;
    if (!log) throw new Error('KUBE_AUDIT_LOG is not set: source .testenv/env');
    const viewer = `system:serviceaccount:${ns}:viewer`;
    const entries = (): any[] =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter((l) => l.includes(ns))
        .map((l): any => JSON.parse(l));
    const control = await waitFor(
      'the status writes of this test in the audit log',
      async () => {
        const writes = entries().filter(
          (e) => e.objectRef?.namespace === ns && e.objectRef?.subresource === 'status',
        );
        return writes.length >= 2 ? writes : undefined;
      },
      30_000,
    );
    expect(control.every((e) => e.verb === 'patch')).toBe(true);
    expect(
      entries()
        .filter((e) => e.user?.username === viewer)
        .map((e) => `${e.verb} ${e.requestURI}`),
    ).toEqual([]);
  });
});
