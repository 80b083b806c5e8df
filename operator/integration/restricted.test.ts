/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment --
   These tests inspect raw Kubernetes JSON (kubectl -o json, built manifests); typing every field would add nothing. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  applyCr,
  condition,
  createNamespace,
  deleteNamespace,
  installCrd,
  kubectl,
  kubectlJson,
  startInProcess,
  waitReady,
} from './support.js';
import type { InProcessOperator } from './support.js';

// Pod Security admission is enforced by the real API server: a pod spec that is not
// "restricted"-compliant would be rejected at ReplicaSet pod creation and the fleet never Ready.
describe('a namespace that enforces the restricted Pod Security Standard', () => {
  let ns: string;
  let operator: InProcessOperator;

  beforeAll(async () => {
    await installCrd();
    ns = await createNamespace('cf-restricted', {
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'latest',
    });
    operator = await startInProcess(ns);
  });

  afterAll(async () => {
    await operator?.stop();
    if (ns) await deleteNamespace(ns);
  });

  it('rejects a pod that is not restricted-compliant (the control: enforcement is on)', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'loose', namespace: ns },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    };
    await expect(kubectl(['apply', '-f', '-'], JSON.stringify(pod))).rejects.toThrow(
      /violates PodSecurity "restricted/,
    );
  });

  it('gets running, Ready pods', async () => {
    await applyCr(ns, 'secure', { scaling: { minReplicas: 2 } });
    const cr = await waitReady(ns, 'secure');
    expect(condition(cr, 'Degraded').status).toBe('False');
    const pods = (await kubectlJson(['-n', ns, 'get', 'pods', '-l', 'app.kubernetes.io/instance=secure']))
      .items;
    expect(pods).toHaveLength(2);
    for (const p of pods) expect(p.status.phase).toBe('Running');
    const nsObj = await kubectlJson(['get', 'namespace', ns]);
    expect(nsObj.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });
});
