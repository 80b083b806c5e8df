/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-explicit-any --
   These tests inspect raw Kubernetes JSON (kubectl -o json); typing every field would add nothing. */
/**
 * `release-finalizers` (the chart's pre-delete hook) against the real API server and kwok nodes:
 * the operator Deployment is scaled to 0 and its pods waited for, then only the operator's
 * finalizers leave every ChatbotDeployment (another finalizer stays), each gets a Warning Event
 * OperatorUninstalled, and deleting a fleet afterwards completes. An operator that keeps putting
 * its finalizer back makes the command fail within its bound instead of hanging.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { TOPIC_FINALIZER } from '../../dataplane/index.js';
import {
  applyCr,
  createNamespace,
  deleteNamespace,
  getCr,
  installCrd,
  kubectl,
  kubectlJson,
  requireKubeconfig,
  waitFor,
} from '../../integration/support.js';
import { KubeClient } from '../../kube/client.js';
import { KubeEventRecorder } from '../../kube/events.js';
import { loadKubeConfig } from '../../kube/kubeconfig.js';
import { releaseFinalizers } from '../release-finalizers.js';

const FOREIGN = 'example.com/keep-me';
const log = pino({ level: process.env.TEST_OPERATOR_LOG ?? 'silent' });

async function setFinalizers(ns: string, name: string, finalizers: string[] | null): Promise<void> {
  const patch = JSON.stringify({ metadata: { finalizers } });
  await kubectl(['-n', ns, 'patch', 'cbd', name, '--type=merge', '-p', patch]);
}

/** A stand-in for the operator Deployment: same kind, pods on kwok nodes. */
async function fakeOperator(ns: string, name: string): Promise<void> {
  const labels = { 'app.kubernetes.io/name': 'h2del-fake-operator' };
  const dep = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [{ name: 'operator', image: 'registry.local/chatfleet-operator:test' }],
          tolerations: [{ operator: 'Exists' }],
        },
      },
    },
  };
  await kubectl(['apply', '-f', '-'], JSON.stringify(dep));
}

async function podsOf(ns: string): Promise<number> {
  const list = await kubectlJson([
    '-n',
    ns,
    'get',
    'pods',
    '-l',
    'app.kubernetes.io/name=h2del-fake-operator',
  ]);
  return list.items.length;
}

describe('release-finalizers (pre-delete hook of the chart)', () => {
  let relNs: string;
  let appNs: string;
  let client: KubeClient;

  beforeAll(async () => {
    requireKubeconfig();
    await installCrd();
    relNs = await createNamespace('h2del-rel');
    appNs = await createNamespace('h2del-app');
    client = await KubeClient.create(loadKubeConfig(process.env).kc);
  });

  afterAll(async () => {
    for (const name of ['kept', 'deleting', 'mixed', 'fought']) {
      await setFinalizers(appNs, name, null).catch(() => undefined);
    }
    client?.close();
    if (relNs) await deleteNamespace(relNs);
    if (appNs) await deleteNamespace(appNs);
  });

  it('stops the operator, releases only its finalizers with a Warning on each, and fleets stay', async () => {
    await fakeOperator(relNs, 'op');
    await waitFor('the fake operator pod', async () => (await podsOf(relNs)) === 1, 60_000);
    for (const name of ['kept', 'deleting', 'mixed']) await applyCr(appNs, name);
    await setFinalizers(appNs, 'kept', [TOPIC_FINALIZER]);
    await setFinalizers(appNs, 'deleting', [TOPIC_FINALIZER]);
    await setFinalizers(appNs, 'mixed', [FOREIGN, TOPIC_FINALIZER]);
    // A deletion already hanging on the gone operator.
    await kubectl(['-n', appNs, 'delete', 'cbd', 'deleting', '--wait=false']);
    expect((await getCr(appNs, 'deleting')).metadata.deletionTimestamp).toBeDefined();

    const events = new KubeEventRecorder(client, 'chatfleet.io/operator', 'release-finalizers', log);
    const started = Date.now();
    const report = await releaseFinalizers(client, {
      operator: { namespace: relNs, name: 'op' },
      // The test cluster is shared: only this test's fleets (the --watch-namespace of the command).
      namespace: appNs,
      timeoutMs: 90_000,
      events,
      log,
    });
    await events.flush();
    const tookMs = Date.now() - started;
    process.stdout.write(`release-finalizers took ${tookMs} ms\n`);

    expect(report.operatorStopped).toBe(true);
    expect(report.remaining).toEqual([]);
    expect(report.released.sort()).toEqual([`${appNs}/deleting`, `${appNs}/kept`, `${appNs}/mixed`]);
    const dep = await kubectlJson(['-n', relNs, 'get', 'deployment', 'op']);
    expect(dep.spec.replicas).toBe(0);
    expect(await podsOf(relNs)).toBe(0);

    // The fleets stay (uninstalling must not delete them), without the operator's finalizer.
    expect((await getCr(appNs, 'kept')).metadata.finalizers ?? []).toEqual([]);
    expect((await getCr(appNs, 'mixed')).metadata.finalizers).toEqual([FOREIGN]);
    // The deletion that was hanging completed.
    await waitFor(
      'the deleting fleet to be gone',
      async () =>
        (await kubectl(['-n', appNs, 'get', 'cbd', 'deleting', '--ignore-not-found', '-o', 'name'])) === '',
      15_000,
    );

    const list = await kubectlJson(['-n', appNs, 'get', 'events.events.k8s.io']);
    const warned = (list.items ?? []).filter((e: any) => e.reason === 'OperatorUninstalled');
    expect(warned.map((e: any) => e.regarding.name).sort()).toEqual(
      expect.arrayContaining(['kept', 'mixed']),
    );
    for (const e of warned) {
      expect(e.type).toBe('Warning');
      expect(e.note).toContain('operator uninstalled: topics of this fleet will not be deleted');
    }

    // A later deletion of a fleet completes (nothing waits for the gone operator).
    await kubectl(['-n', appNs, 'delete', 'cbd', 'kept', '--wait=true', '--timeout=15s']);
  }, 150_000);

  it('an operator that keeps putting its finalizer back: fails within the bound, never hangs', async () => {
    await applyCr(appNs, 'fought');
    await setFinalizers(appNs, 'fought', [TOPIC_FINALIZER]);
    let fighting = true;
    const fight = (async () => {
      while (fighting) {
        const cbd = await getCr(appNs, 'fought').catch(() => undefined);
        if (cbd && !(cbd.metadata.finalizers ?? []).includes(TOPIC_FINALIZER)) {
          await setFinalizers(appNs, 'fought', [TOPIC_FINALIZER]).catch(() => undefined);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const started = Date.now();
    const report = await releaseFinalizers(client, {
      namespace: appNs,
      timeoutMs: 8_000,
      events: new KubeEventRecorder(client, 'chatfleet.io/operator', 'release-finalizers', log),
      log,
    });
    const tookMs = Date.now() - started;
    fighting = false;
    await fight;
    expect(tookMs).toBeLessThan(20_000);
    expect(report.remaining).toContain(`${appNs}/fought`);
  }, 60_000);
});
