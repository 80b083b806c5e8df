/**
 * The Kubernetes client's write fence against the REAL API server, judged by its audit log
 * (KUBE_AUDIT_LOG): a refused write never reaches the server, reads are never fenced. The leader
 * election that closes the fence is tested in split-brain.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { auditEvents, describeEvent, requireAuditLog } from './audit.js';
import { createNamespace, deleteNamespace, uniqueName } from './support.js';
import { KubeClient, WriteRefusedError } from '../kube/client.js';
import type { WriteFence } from '../kube/client.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { Resources } from '../kube/resources.js';
import type { KubeObject } from '../workload/types.js';

describe('the write fence of the Kubernetes client', () => {
  let ns = '';
  let client: KubeClient | undefined;

  beforeAll(async () => {
    requireAuditLog();
    ns = await createNamespace('fence');
    client = await KubeClient.create(loadKubeConfig(process.env).kc);
  });

  afterAll(async () => {
    client?.close();
    if (ns) await deleteNamespace(ns);
  });

  const configMap = (name: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns },
    data: { k: 'v' },
  });
  const exists = async (name: string): Promise<boolean> =>
    (await client!.get(Resources.ConfigMap, ns, name)) !== undefined;

  it.each<[string, () => WriteFence]>([
    ['closed from the start', () => () => 'closed'],
    // Open when the request is made, closed by the time it goes on the wire: still nothing is sent.
    [
      'closing between the request and the wire',
      () => {
        let calls = 0;
        return () => (++calls === 1 ? undefined : 'closed at the wire');
      },
    ],
  ])('refuses a write %s, and the API server never sees it', async (_name, fence) => {
    const cm = uniqueName('refused');
    client!.writeFence = fence();
    await expect(client!.apply(configMap(cm), 'fence-test')).rejects.toBeInstanceOf(WriteRefusedError);
    await expect(client!.delete(Resources.ConfigMap, ns, 'anything')).rejects.toThrow(/write refused/);
    client!.writeFence = undefined;
    expect(await exists(cm)).toBe(false);
    const audit = await auditEvents(ns);
    expect(audit.filter((e) => e.objectRef?.name === cm).map(describeEvent)).toEqual([]);
  });

  it('lets writes and reads through while open, and reads while closed', async () => {
    const cm = uniqueName('allowed');
    client!.writeFence = () => undefined;
    await client!.apply(configMap(cm), 'fence-test');
    client!.writeFence = () => 'closed';
    expect(await exists(cm)).toBe(true); // a GET is never fenced
    client!.writeFence = undefined;
  });
});
