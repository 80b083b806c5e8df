/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return --
   These tests inspect the built manifests' raw JSON; typing every field would add nothing. */
import { describe, expect, it } from '@jest/globals';
import { desiredPodDisruptionBudget, desiredService } from '../workload/desired.js';
import { desiredWorkerDeployment, desiredWorkerPodDisruptionBudget } from './desired.js';
import { workerCbd } from './fixtures.js';

const inputs = { replicas: 3, image: 'registry.local/bot:0.9' };

/** Every optional part of the worker pod set, so validate() sees all of it. */
const full = workerCbd({
  runtime: {
    image: 'registry.local/bot:1.0',
    llm: { endpoint: 'http://llm', apiKeySecretRef: { name: 'llm', key: 'k' } },
    env: [{ name: 'EXTRA', value: 'x' }],
  },
  placement: { nodeSelector: { pool: 'batch' }, tolerations: [{ key: 'k', operator: 'Exists' }] },
  workers: {
    minReplicas: 2,
    priorityClassName: 'chatfleet-workers',
    resources: { limits: { cpu: '1' } },
    webhooks: [
      { name: 'crm-handoff', url: 'https://crm.example/hook', secretRef: { name: 'hooks', key: 'crm' } },
    ],
  },
});

function pod(d: ReturnType<typeof desiredWorkerDeployment>): Record<string, any> {
  return (d.spec as any).template;
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

describe('desiredWorkerDeployment', () => {
  it.each([
    ['Deployment', desiredWorkerDeployment(full, inputs)],
    ['Deployment (minimal)', desiredWorkerDeployment(workerCbd(), inputs)],
    ['PodDisruptionBudget', desiredWorkerPodDisruptionBudget(full)!],
  ])('%s validates against the Kubernetes schema', (_kind, obj) => {
    expect(() => obj.validate()).not.toThrow();
  });

  it('validate() would catch a wrong field (guards the check above)', () => {
    const d = desiredWorkerDeployment(full, inputs);
    pod(d).spec.containers[0].ports[0].containerPort = 'eighty';
    expect(() => d.validate()).toThrow();
  });

  it('runs the given image in worker mode, with the replicas decided, on its own port and probes', () => {
    const d = desiredWorkerDeployment(full, inputs);
    const c = pod(d).spec.containers[0];
    expect(d.metadata?.name).toBe('support-worker');
    expect((d.spec as any).replicas).toBe(3);
    expect(c.image).toBe('registry.local/bot:0.9');
    expect(c.args).toEqual(['worker']);
    expect(c.ports).toEqual([{ name: 'metrics', containerPort: 8081, protocol: 'TCP' }]);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(c.envFrom).toEqual([{ configMapRef: { name: 'support-runtime' } }]);
    expect(c.resources).toEqual({
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { cpu: '1', memory: '256Mi' },
    });
  });

  it('restricted Pod Security: non-root, read-only root, no privilege escalation, no capabilities, no token', () => {
    const spec = pod(desiredWorkerDeployment(full, inputs)).spec;
    const sc = spec.containers[0].securityContext;
    expect(sc).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(spec.automountServiceAccountToken).toBe(false);
  });

  it('its pods are never selected by the chat Service or the chat PDB', () => {
    const cbd = workerCbd();
    const labels = pod(desiredWorkerDeployment(cbd, inputs)).metadata.labels;
    expect(labels['app.kubernetes.io/component']).toBe('worker');
    expect(matches((desiredService(cbd).spec as any).selector, labels)).toBe(false);
    expect(matches((desiredService(cbd, 'stable').spec as any).selector, labels)).toBe(false);
    expect(matches((desiredPodDisruptionBudget(cbd)!.spec as any).selector.matchLabels, labels)).toBe(false);
    // ...while its own selector does select them
    expect(matches((desiredWorkerDeployment(cbd, inputs).spec as any).selector.matchLabels, labels)).toBe(
      true,
    );
  });

  it.each([
    { what: 'priorityClassName set', cbd: full, want: 'chatfleet-workers' },
    { what: 'priorityClassName unset', cbd: workerCbd(), want: undefined },
  ])('$what', ({ cbd, want }) => {
    expect(pod(desiredWorkerDeployment(cbd, inputs)).spec.priorityClassName).toBe(want);
  });

  it.each([
    { what: 'zone spread on (default): counts worker pods only', zone: {}, want: 1 },
    { what: 'zone spread off', zone: { enabled: false }, want: 0 },
  ])('$what', ({ zone, want }) => {
    const cbd = workerCbd({ placement: { zoneSpread: zone } });
    const spread = pod(desiredWorkerDeployment(cbd, inputs)).spec.topologySpreadConstraints ?? [];
    expect(spread).toHaveLength(want);
    if (want) expect(spread[0].labelSelector.matchLabels['app.kubernetes.io/name']).toBe('chatbot-worker');
  });

  it('the runtime ConfigMap hash rolls the workers on a config change', () => {
    const hash = (cbd: ReturnType<typeof workerCbd>) =>
      pod(desiredWorkerDeployment(cbd, inputs)).metadata.annotations['chatfleet.io/config-hash'];
    expect(hash(workerCbd())).toBe(hash(workerCbd()));
    expect(hash(workerCbd({ sessions: { maxTurns: 30 } }))).not.toBe(hash(workerCbd()));
  });
});

describe('desiredWorkerPodDisruptionBudget', () => {
  it.each([
    { minReplicas: 0, want: false },
    { minReplicas: 1, want: false },
    { minReplicas: 2, want: true },
    { minReplicas: 5, want: true },
  ])('minReplicas $minReplicas -> PDB $want', ({ minReplicas, want }) => {
    const pdb = desiredWorkerPodDisruptionBudget(workerCbd({ workers: { minReplicas, maxReplicas: 10 } }));
    expect(pdb !== undefined).toBe(want);
    if (pdb) {
      expect(pdb.metadata?.name).toBe('support-worker');
      expect((pdb.spec as any).selector.matchLabels).toEqual({
        'app.kubernetes.io/name': 'chatbot-worker',
        'app.kubernetes.io/instance': 'support',
      });
    }
  });
});
