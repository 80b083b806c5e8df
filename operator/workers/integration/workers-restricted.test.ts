/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return --
   These tests inspect raw Kubernetes JSON (kubectl -o json); typing every field would add nothing. */
/**
 * Worker pods under Pod Security admission, enforced by the real API server: in a namespace that
 * enforces the restricted standard, the ReplicaSet of <name>-worker creates its pods (a spec that is not
 * restricted-compliant would be refused there, and WorkersReady would never turn True), they run on the
 * kwok nodes, and the PDB exists from minReplicas 2. The operator runs in-process with the data plane
 * and the WorkersComponent against the real broker; the fleet's topics are deleted with it.
 */
import { describe, expect, it } from '@jest/globals';
import {
  applyCr,
  condition,
  getCr,
  kubectl,
  kubectlJson,
  requireKafkaBrokers,
  waitFor,
  withOperatorNamespace,
} from '../../integration/support.js';
import { dataplaneComponents } from '../../dataplane/integration/components.js';
import { createWorkersComponent } from '../index.js';

const brokers = requireKafkaBrokers();

describe('worker pods in a namespace that enforces the restricted Pod Security Standard', () => {
  const env = withOperatorNamespace('cf-wpss', {
    labels: {
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'latest',
    },
    components: (ns) => [
      ...dataplaneComponents({ topicOwnershipNamespace: ns }),
      createWorkersComponent({ pollMs: 1000 }),
    ],
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

  it('admits them: 2 running worker pods, WorkersReady True, the worker PDB', async () => {
    await applyCr(env.ns, 'secure', {
      scaling: { minReplicas: 1, maxReplicas: 2 },
      messaging: { kafka: { bootstrapServers: brokers, deletionPolicy: 'Delete' } },
      workers: { minReplicas: 2, maxReplicas: 2 },
    });
    const ready = await waitFor(
      'WorkersReady=True',
      async () => {
        const c = condition(await getCr(env.ns, 'secure'), 'WorkersReady');
        return c?.status === 'True' ? c : undefined;
      },
      90_000,
    );
    expect(ready.reason).toBe('Available');
    const selector = 'app.kubernetes.io/component=worker,app.kubernetes.io/instance=secure';
    const pods = (await kubectlJson(['-n', env.ns, 'get', 'pods', '-l', selector])).items;
    expect(pods).toHaveLength(2);
    for (const p of pods) expect(p.status.phase).toBe('Running');
    const pdb = await kubectlJson(['-n', env.ns, 'get', 'pdb', 'secure-worker']);
    expect(pdb.spec.selector.matchLabels['app.kubernetes.io/name']).toBe('chatbot-worker');
    // The chat PDB does not count the worker pods.
    const chatPdb = await kubectlJson(['-n', env.ns, 'get', 'pdb', 'secure']);
    expect(chatPdb.status.expectedPods).toBe(1);
    await kubectl(['-n', env.ns, 'delete', 'cbd', 'secure', '--wait=true', '--timeout=60s']);
  }, 150_000);
});
