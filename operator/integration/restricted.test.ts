/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment --
   These tests inspect raw Kubernetes JSON (kubectl -o json, built manifests); typing every field would add nothing. */
import { describe, expect, it } from '@jest/globals';
import { applyCr, condition, kubectl, kubectlJson, waitReady, withOperatorNamespace } from './support.js';

// Pod Security admission is enforced by the real API server: a pod spec that is not
// "restricted"-compliant would be rejected at ReplicaSet pod creation and the fleet never Ready.
describe('a namespace that enforces the restricted Pod Security Standard', () => {
  const env = withOperatorNamespace('cf-restricted', {
    labels: {
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'latest',
    },
  });

  it('rejects a pod that is not restricted-compliant (the control: enforcement is on)', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'loose', namespace: env.ns },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    };
    await expect(kubectl(['apply', '-f', '-'], JSON.stringify(pod))).rejects.toThrow(
      /violates PodSecurity "restricted/,
    );
  });

  it('gets running, Ready pods', async () => {
    await applyCr(env.ns, 'secure', { scaling: { minReplicas: 2 } });
    const cbd = await waitReady(env.ns, 'secure');
    expect(condition(cbd, 'Degraded').status).toBe('False');
    const pods = (await kubectlJson(['-n', env.ns, 'get', 'pods', '-l', 'app.kubernetes.io/instance=secure']))
      .items;
    expect(pods).toHaveLength(2);
    for (const p of pods) expect(p.status.phase).toBe('Running');
    const nsObj = await kubectlJson(['get', 'namespace', env.ns]);
    expect(nsObj.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });
});
