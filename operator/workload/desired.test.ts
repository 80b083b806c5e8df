/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return --
   These tests inspect raw Kubernetes JSON (kubectl -o json, built manifests); typing every field would add nothing. */
import { describe, expect, it } from '@jest/globals';
import {
  desiredConfigMap,
  desiredDeployment,
  desiredPodDisruptionBudget,
  desiredService,
  desiredServiceAccount,
} from './desired.js';
import { minimalCr } from './fixtures.js';

const inputs = { replicas: 2, env: [] };

function container(d: ReturnType<typeof desiredDeployment>): Record<string, any> {
  return (d.spec as any).template.spec.containers[0];
}

/** A CR with every optional part of the pod template set, so validate() sees all of it. */
const full = minimalCr({
  runtime: {
    image: 'registry.local/bot:1.0',
    llm: { endpoint: 'http://llm', apiKeySecretRef: { name: 'llm', key: 'k' } },
    auth: { apiKeysSecretRef: { name: 'auth', key: 'keys' } },
    env: [{ name: 'EXTRA', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
  },
  model: { name: 'm', version: 'v1', bundleConfigMap: 'b' },
  placement: {
    nodeSelector: { a: 'b' },
    tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }],
  },
});

describe('desired children', () => {
  const cbd = minimalCr();

  it.each([
    ['Deployment (stable)', desiredDeployment(full, { replicas: 2, env: [], podAnnotations: { a: 'b' } })],
    [
      'Deployment (canary, routing on)',
      desiredDeployment(full, { replicas: 1, env: [], track: 'canary', routingConfigMap: 'support-routing' }),
    ],
    ['Service', desiredService(full)],
    ['Service (track)', desiredService(full, 'canary')],
    ['PodDisruptionBudget', desiredPodDisruptionBudget(full)!],
    ['ServiceAccount', desiredServiceAccount(full)],
    ['ConfigMap', desiredConfigMap(full)],
  ])('%s validates against the Kubernetes schema', (_kind, obj) => {
    expect(() => obj.validate()).not.toThrow();
  });

  it('validate() would catch a wrong field (guards the check above)', () => {
    const d = desiredDeployment(full, inputs);
    (d.spec as any).replicas = 'two';
    expect(() => d.validate()).toThrow();
  });

  it.each([
    ['Deployment', desiredDeployment(cbd, inputs), 'support'],
    ['Service', desiredService(cbd), 'support'],
    ['PodDisruptionBudget', desiredPodDisruptionBudget(cbd)!, 'support'],
    ['ServiceAccount', desiredServiceAccount(cbd), 'support'],
    ['ConfigMap', desiredConfigMap(cbd), 'support-runtime'],
  ])('%s has name, labels and a controller ownerReference', (kind, obj, name) => {
    expect(obj.kind).toBe(kind);
    expect(obj.metadata).toMatchObject({
      name,
      namespace: 'team-a',
      labels: {
        'app.kubernetes.io/name': 'chatbot',
        'app.kubernetes.io/instance': 'support',
        'app.kubernetes.io/managed-by': 'chatfleet-operator',
      },
      ownerReferences: [
        {
          apiVersion: 'chatfleet.io/v1alpha1',
          kind: 'ChatbotDeployment',
          name: 'support',
          uid: 'uid-1',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    });
    expect(obj).not.toHaveProperty('status');
  });

  it('labels pods with the model version but keeps it out of the immutable selector', () => {
    const d = desiredDeployment(cbd, inputs) as any;
    expect(d.spec.template.metadata.labels['chatfleet.io/model-version']).toBe('v7');
    expect(d.spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'chatbot',
      'app.kubernetes.io/instance': 'support',
    });
  });

  it('passes the restricted Pod Security Standard', () => {
    const d = desiredDeployment(cbd, inputs) as any;
    const pod = d.spec.template.spec;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(container(d).securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.volumes).toContainEqual({ name: 'tmp', emptyDir: {} });
  });

  it('sets probes, port, resources defaults and a preStop drain', () => {
    const d = desiredDeployment(minimalCr({ runtime: { image: 'i', drainSeconds: 7 } }), inputs) as any;
    const c = container(d);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(c.resources).toEqual({ requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } });
    expect(c.lifecycle).toEqual({ preStop: { sleep: { seconds: 7 } } });
    expect(d.spec.template.spec.terminationGracePeriodSeconds).toBe(30);
  });

  it('uses the replicas it is given (the scaling owner decides)', () => {
    expect((desiredDeployment(cbd, { replicas: 5, env: [] }) as any).spec.replicas).toBe(5);
  });

  it('spreads over zones unless disabled', () => {
    const on = desiredDeployment(cbd, inputs) as any;
    expect(on.spec.template.spec.topologySpreadConstraints).toEqual([
      expect.objectContaining({
        topologyKey: 'topology.kubernetes.io/zone',
        maxSkew: 1,
        whenUnsatisfiable: 'ScheduleAnyway',
      }),
    ]);
    const off = desiredDeployment(
      minimalCr({ placement: { zoneSpread: { enabled: false } } }),
      inputs,
    ) as any;
    expect(off.spec.template.spec.topologySpreadConstraints).toBeUndefined();
  });

  it('copies nodeSelector and tolerations from placement', () => {
    const tolerations = [
      { key: 'kwok.x-k8s.io/node', operator: 'Exists' as const, effect: 'NoSchedule' as const },
    ];
    const d = desiredDeployment(
      minimalCr({ placement: { nodeSelector: { a: 'b' }, tolerations } }),
      inputs,
    ) as any;
    expect(d.spec.template.spec.nodeSelector).toEqual({ a: 'b' });
    expect(d.spec.template.spec.tolerations).toEqual(tolerations);
  });

  it('rolls pods when the runtime config changes', () => {
    const a = desiredDeployment(cbd, inputs) as any;
    const b = desiredDeployment(
      minimalCr({ runtime: { image: 'registry.local/bot:1.0', logLevel: 'debug' } }),
      inputs,
    ) as any;
    expect(a.spec.template.metadata.annotations['chatfleet.io/config-hash']).not.toBe(
      b.spec.template.metadata.annotations['chatfleet.io/config-hash'],
    );
  });

  it('mounts the model bundle when one is named', () => {
    const d = desiredDeployment(
      minimalCr({ model: { name: 'm', version: 'v1', bundleConfigMap: 'b' } }),
      inputs,
    ) as any;
    expect(d.spec.template.spec.volumes).toContainEqual({ name: 'model-bundle', configMap: { name: 'b' } });
    expect(container(d).volumeMounts).toContainEqual(
      expect.objectContaining({ name: 'model-bundle', mountPath: '/etc/chatfleet/model' }),
    );
  });

  it('maps the Service port http 80 -> container port http', () => {
    expect((desiredService(cbd) as any).spec.ports).toEqual([
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
    ]);
  });

  it('omits the PDB when disabled and sets maxUnavailable otherwise', () => {
    expect(
      desiredPodDisruptionBudget(minimalCr({ podDisruptionBudget: { enabled: false } })),
    ).toBeUndefined();
    expect(
      (desiredPodDisruptionBudget(minimalCr({ podDisruptionBudget: { maxUnavailable: 2 } })) as any).spec
        .maxUnavailable,
    ).toBe(2);
  });

  it('does not mount a service account token', () => {
    expect(desiredServiceAccount(cbd).automountServiceAccountToken).toBe(false);
  });
});
