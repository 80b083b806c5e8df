import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { KubeClient } from '../kube/client.js';
import { Informer } from '../kube/informer.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { Resources } from '../kube/resources.js';
import type { ResourceKind } from '../kube/resources.js';
import {
  createNamespace,
  deleteNamespace,
  kubectl,
  requireKubeconfig,
  uniqueName,
  waitFor,
} from './support.js';

// The informer must survive its resource disappearing and coming back: a throwaway CRD is
// installed after the informer starts (initial list 404s, retried), then deleted and recreated
// while it watches (watch ends, relists fail, restart with backoff, recovery).
describe('Informer against the real API server', () => {
  const group = `${uniqueName('inf')}.test.chatfleet.io`;
  const widget: ResourceKind = { group, version: 'v1', plural: 'widgets', kind: 'Widget', namespaced: true };
  const crd = JSON.stringify({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `widgets.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  });
  const widgetObj = (ns: string, name: string): string =>
    JSON.stringify({ apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name, namespace: ns } });
  let ns: string;
  let client: KubeClient;
  let informer: Informer;
  const seen: string[] = [];
  const logs: string[] = [];

  const installCrd = async (): Promise<void> => {
    await kubectl(['apply', '-f', '-'], crd);
    await kubectl(['wait', '--for=condition=Established', `crd/widgets.${group}`, '--timeout=60s']);
  };

  beforeAll(async () => {
    requireKubeconfig();
    ns = await createNamespace('cf-inf');
    const { kc } = loadKubeConfig(process.env);
    client = await KubeClient.create(kc);
    informer = new Informer(kc, client, {
      resource: widget,
      namespace: ns,
      logger: pino({ level: 'warn' }, { write: (line: string) => logs.push(line) }),
      onChange: (o) => seen.push(o.metadata.name ?? ''),
      minBackoffMs: 100,
      maxBackoffMs: 1000,
    });
  });

  afterAll(async () => {
    await informer?.stop();
    client?.close();
    await kubectl(['delete', 'crd', `widgets.${group}`, '--ignore-not-found']);
    if (ns) await deleteNamespace(ns);
  });

  it('keeps retrying the initial list until the resource exists, then syncs', async () => {
    const started = informer.start();
    await new Promise((r) => setTimeout(r, 500));
    expect(informer.synced).toBe(false);
    await installCrd();
    await kubectl(['apply', '-f', '-'], widgetObj(ns, 'first'));
    await started;
    expect(informer.synced).toBe(true);
    await waitFor('first widget cached', async () => informer.get(ns, 'first') !== undefined);
    expect(seen).toContain('first');
  });

  it('recovers after the resource vanished while watching', async () => {
    await kubectl(['delete', 'crd', `widgets.${group}`, '--wait=true']);
    await waitFor('the informer noticed and restarts', async () =>
      logs.some((l) => l.includes('restarting')),
    );
    await installCrd();
    await kubectl(['apply', '-f', '-'], widgetObj(ns, 'second'));
    await waitFor(
      'second widget cached after restart',
      async () => informer.get(ns, 'second') !== undefined,
      60_000,
    );
    // 'first' went with the old CRD: only a relist after the restart can have dropped it.
    expect(informer.list(ns).map((o) => o.metadata.name)).toEqual(['second']);
  });
});

// Installed with rbac.dataPlane=false the operator may not list StatefulSets: that informer must
// sync empty at once (skipIfForbidden), not retry forever and hold every worker back.
describe('an informer whose kind RBAC does not let it list', () => {
  let ns: string;
  let kc: KubeConfig;
  let client: KubeClient;
  const informers: Informer[] = [];
  const statefulSets: ResourceKind = {
    group: 'apps',
    version: 'v1',
    plural: 'statefulsets',
    kind: 'StatefulSet',
    namespaced: true,
  };
  const make = (skipIfForbidden: boolean): Informer => {
    const inf = new Informer(kc, client, {
      resource: statefulSets,
      namespace: ns,
      logger: pino({ level: 'silent' }),
      onChange: () => undefined,
      minBackoffMs: 100,
      maxBackoffMs: 200,
      skipIfForbidden,
    });
    informers.push(inf);
    return inf;
  };

  beforeAll(async () => {
    ns = await createNamespace('cf-inf-rbac');
    // A ServiceAccount with no role at all: every list is Forbidden.
    await kubectl(['-n', ns, 'create', 'serviceaccount', 'nobody']);
    const token = (await kubectl(['-n', ns, 'create', 'token', 'nobody', '--duration=10m'])).trim();
    const admin = loadKubeConfig(process.env).kc;
    const cluster = admin.getCurrentCluster();
    if (!cluster) throw new Error('the test kubeconfig names no cluster');
    kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [cluster],
      users: [{ name: 'nobody', token }],
      contexts: [{ name: 'nobody', cluster: cluster.name, user: 'nobody' }],
      currentContext: 'nobody',
    });
    client = await KubeClient.create(kc);
  });

  afterAll(async () => {
    await Promise.all(informers.map((i) => i.stop()));
    client?.close();
    if (ns) await deleteNamespace(ns);
  });

  it('syncs empty at once with skipIfForbidden', async () => {
    const inf = make(true);
    await inf.start();
    expect(inf.synced).toBe(true);
    expect(inf.list(ns)).toEqual([]);
    expect(inf.get(ns, 'anything')).toBeUndefined();
  });

  it('without it keeps retrying (the control: the list really is Forbidden)', async () => {
    const inf = make(false);
    void inf.start();
    await new Promise((r) => setTimeout(r, 1500));
    expect(inf.synced).toBe(false);
  });
});

// An operator told to stop while its caches still sync (SIGTERM right after it took the lease) must
// exit: an informer stopped during its first list must not open its watch when the list returns.
describe('an informer stopped while it starts', () => {
  let ns: string;
  let kc: KubeConfig;
  let client: KubeClient;
  const informers: Informer[] = [];
  const make = (seen: string[]): Informer => {
    const inf = new Informer(kc, client, {
      resource: Resources.ConfigMap,
      namespace: ns,
      logger: pino({ level: 'silent' }),
      onChange: (o) => seen.push(o.metadata.name ?? ''),
    });
    informers.push(inf);
    return inf;
  };

  beforeAll(async () => {
    ns = await createNamespace('cf-inf-stop');
    kc = loadKubeConfig(process.env).kc;
    client = await KubeClient.create(kc);
  });

  afterAll(async () => {
    await Promise.all(informers.map((i) => i.stop()));
    client?.close();
    if (ns) await deleteNamespace(ns);
  });

  it('opens no watch when stopped during its first list (a running one, the control, sees the change)', async () => {
    const stoppedSeen: string[] = [];
    const runningSeen: string[] = [];
    const stopped = make(stoppedSeen);
    const starting = stopped.start(); // the list is in flight now
    await stopped.stop();
    await starting;
    expect(stopped.synced).toBe(false);
    await make(runningSeen).start();

    await kubectl(['-n', ns, 'create', 'configmap', 'after-stop']);
    await waitFor('the running informer sees the new ConfigMap', async () =>
      runningSeen.includes('after-stop'),
    );
    await new Promise((r) => setTimeout(r, 1000)); // any watch of the stopped one would have had it too
    expect(stoppedSeen).not.toContain('after-stop');
  });
});
