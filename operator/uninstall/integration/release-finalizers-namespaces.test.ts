/* eslint-disable @typescript-eslint/no-unsafe-member-access --
   The CRs are raw Kubernetes JSON (kubectl -o json). */
/**
 * `release-finalizers --watch-namespace=a,b` (the chart's watchNamespaces list, passed by the
 * pre-delete hook): the operator's finalizers are released in every watched namespace and nowhere
 * else, against the real API server.
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
  requireKubeconfig,
} from '../../integration/support.js';
import { KubeClient } from '../../kube/client.js';
import { KubeEventRecorder } from '../../kube/events.js';
import { loadKubeConfig } from '../../kube/kubeconfig.js';
import { releaseFinalizers } from '../release-finalizers.js';

const log = pino({ level: process.env.TEST_OPERATOR_LOG ?? 'silent' });

async function setFinalizers(ns: string, name: string, finalizers: string[] | null): Promise<void> {
  const patch = JSON.stringify({ metadata: { finalizers } });
  await kubectl(['-n', ns, 'patch', 'cbd', name, '--type=merge', '-p', patch]);
}

describe('release-finalizers over several watched namespaces', () => {
  let namespaces: string[] = [];
  let client: KubeClient;

  beforeAll(async () => {
    requireKubeconfig();
    await installCrd();
    client = await KubeClient.create(loadKubeConfig(process.env).kc);
    namespaces = await Promise.all(
      ['h7chart-rfa', 'h7chart-rfb', 'h7chart-rfx'].map((p) => createNamespace(p)),
    );
    for (const ns of namespaces) {
      await applyCr(ns, 'fleet');
      await setFinalizers(ns, 'fleet', [TOPIC_FINALIZER]);
    }
  });

  afterAll(async () => {
    for (const ns of namespaces) await setFinalizers(ns, 'fleet', null).catch(() => undefined);
    await Promise.all(namespaces.map((ns) => deleteNamespace(ns)));
    client?.close();
  });

  it('releases the fleets of a and b, and leaves the unwatched namespace alone', async () => {
    const [a, b, other] = namespaces as [string, string, string];
    const events = new KubeEventRecorder(client, 'chatfleet.io/operator', 'release-finalizers', log);
    const report = await releaseFinalizers(client, {
      namespace: `${a},${b}`,
      timeoutMs: 60_000,
      events,
      log,
    });
    await events.flush();
    expect(report.remaining).toEqual([]);
    expect(report.released.sort()).toEqual([`${a}/fleet`, `${b}/fleet`].sort());
    expect((await getCr(a, 'fleet')).metadata.finalizers ?? []).toEqual([]);
    expect((await getCr(b, 'fleet')).metadata.finalizers ?? []).toEqual([]);
    expect((await getCr(other, 'fleet')).metadata.finalizers).toEqual([TOPIC_FINALIZER]);
  });
});
