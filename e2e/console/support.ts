import { KubeConfig } from '@kubernetes/client-node';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext } from 'playwright-core';
import { kubectl } from '../../operator/integration/support.js';

/** Shared by the console's browser tests: a ServiceAccount's kubeconfig and a loopback-only Chromium. */

/** A kubeconfig of a new ServiceAccount `account` in `ns` (its token, 15 minutes): only its RoleBindings apply. */
export async function serviceAccountConfig(
  admin: KubeConfig,
  ns: string,
  account: string,
): Promise<KubeConfig> {
  await kubectl(['-n', ns, 'create', 'serviceaccount', account]);
  const token = (await kubectl(['-n', ns, 'create', 'token', account, '--duration=15m'])).trim();
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('the test kubeconfig names no cluster');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: account, token }],
    contexts: [{ name: account, cluster: cluster.name, user: account }],
    currentContext: account,
  });
  return kc;
}

/** Debian's Chromium that resolves no name and may load only 127.0.0.1 (the network rule of the tests). */
export async function loopbackBrowser(): Promise<{ browser: Browser; context: BrowserContext }> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
    timeout: 60_000,
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.route('**/*', (route) =>
    new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort(),
  );
  return { browser, context };
}
