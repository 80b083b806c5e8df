/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return --
   These tests inspect raw Kubernetes JSON (kubectl -o json, built manifests); typing every field would add nothing. */
import { describe, expect, it } from '@jest/globals';
import {
  containerEnv,
  desiredConfigMap,
  desiredDeployment,
  desiredPodDisruptionBudget,
  desiredService,
  desiredServiceAccount,
  runtimeConfigData,
} from './desired.js';
import { minimalCr } from './fixtures.js';
import { shutdownBudgets } from './defaults.js';

const inputs = { replicas: 2, env: [] };

function container(d: ReturnType<typeof desiredDeployment>): Record<string, any> {
  return (d.spec as any).template.spec.containers[0];
}

describe('desired children', () => {
  const cr = minimalCr();

  it.each([
    ['Deployment', desiredDeployment(cr, inputs), 'support'],
    ['Service', desiredService(cr), 'support'],
    ['PodDisruptionBudget', desiredPodDisruptionBudget(cr)!, 'support'],
    ['ServiceAccount', desiredServiceAccount(cr), 'support'],
    ['ConfigMap', desiredConfigMap(cr), 'support-runtime'],
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
    const d = desiredDeployment(cr, inputs) as any;
    expect(d.spec.template.metadata.labels['chatfleet.io/model-version']).toBe('v7');
    expect(d.spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'chatbot',
      'app.kubernetes.io/instance': 'support',
    });
  });

  it('passes the restricted Pod Security Standard', () => {
    const d = desiredDeployment(cr, inputs) as any;
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
    expect((desiredDeployment(cr, { replicas: 5, env: [] }) as any).spec.replicas).toBe(5);
  });

  it('spreads over zones unless disabled', () => {
    const on = desiredDeployment(cr, inputs) as any;
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
    const a = desiredDeployment(cr, inputs) as any;
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
    expect((desiredService(cr) as any).spec.ports).toEqual([
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
    expect(desiredServiceAccount(cr).automountServiceAccountToken).toBe(false);
  });
});

describe('runtime env', () => {
  it('puts the shared contract env into the ConfigMap with defaults (track-specific env is on the container)', () => {
    expect(runtimeConfigData(minimalCr())).toEqual({
      PORT: '8080',
      FLEET_ID: 'team-a/support',
      MAX_INFLIGHT: '64',
      MAX_MESSAGE_BYTES: '4096',
      RATE_LIMIT_PER_MINUTE: '120',
      SESSION_TTL_SECONDS: '3600',
      SESSION_MAX_TURNS: '20',
      LOG_LEVEL: 'info',
      DRAIN_TIMEOUT_MS: '15600',
      CLOSE_TIMEOUT_MS: '2400',
      EVENTS_FLUSH_TIMEOUT_MS: '6000',
    });
  });

  it('passes the auth, rate-limit and proxy settings of the CR to the runtime', () => {
    const cr = minimalCr({
      runtime: {
        image: 'i',
        rateLimitPerMinute: 0,
        trustedProxies: ['10.0.0.0/8', '192.168.1.1'],
        auth: {
          jwt: {
            jwksUrl: 'https://idp.example/jwks.json',
            issuer: 'https://idp.example',
            audiences: ['chat', 'chat-admin'],
            secretRef: { name: 'jwt', key: 'hs256' },
          },
        },
      },
    });
    expect(runtimeConfigData(cr)).toMatchObject({
      RATE_LIMIT_PER_MINUTE: '0',
      TRUSTED_PROXIES: '10.0.0.0/8,192.168.1.1',
      AUTH_JWKS_URL: 'https://idp.example/jwks.json',
      AUTH_JWT_ISSUER: 'https://idp.example',
      AUTH_JWT_AUDIENCE: 'chat,chat-admin',
      AUTH_JWT_CLOCK_SKEW_SECONDS: '30',
    });
    expect(containerEnv(cr, [])).toContainEqual({
      name: 'AUTH_JWT_SECRET',
      valueFrom: { secretKeyRef: { name: 'jwt', key: 'hs256' } },
    });
    expect(containerEnv(cr, []).map((e) => e.name)).not.toContain('AUTH_API_KEYS');
  });

  it('adds LLM settings to the ConfigMap and the bundle path to the container when set', () => {
    const cr = minimalCr({
      runtime: { image: 'i', llm: { endpoint: 'http://llm', model: 'small' } },
      model: { name: 'm', version: 'v', bundleConfigMap: 'b' },
    });
    expect(runtimeConfigData(cr)).toMatchObject({ LLM_ENDPOINT: 'http://llm', LLM_MODEL: 'small' });
    expect(containerEnv(cr, [])).toContainEqual({
      name: 'MODEL_BUNDLE',
      value: '/etc/chatfleet/model/bundle.json',
    });
  });

  it('wires secrets by reference, contributed env, and lets user env win on a name clash', () => {
    const cr = minimalCr({
      runtime: {
        image: 'i',
        llm: { endpoint: 'http://llm', apiKeySecretRef: { name: 'llm', key: 'k' } },
        auth: { apiKeysSecretRef: { name: 'auth', key: 'keys' } },
        env: [{ name: 'REDIS_URL', value: 'override' }],
      },
    });
    const env = containerEnv(cr, [
      { name: 'REDIS_URL', value: 'redis://managed' },
      { name: 'KAFKA_BROKERS', value: 'b:9092' },
    ]);
    expect(env).toEqual([
      { name: 'MODEL_VERSION', value: 'v7' },
      { name: 'MODEL_NAME', value: 'support-bot' },
      { name: 'CHATFLEET_TRACK', value: 'stable' },
      { name: 'LLM_API_KEY', valueFrom: { secretKeyRef: { name: 'llm', key: 'k' } } },
      { name: 'AUTH_API_KEYS', valueFrom: { secretKeyRef: { name: 'auth', key: 'keys' } } },
      { name: 'REDIS_URL', value: 'override' },
      { name: 'KAFKA_BROKERS', value: 'b:9092' },
    ]);
  });

  const budgets = (grace: number, drain: number) =>
    shutdownBudgets(
      minimalCr({ runtime: { image: 'i', terminationGracePeriodSeconds: grace, drainSeconds: drain } }).spec,
    );

  it.each([
    [30, 5, { drainMs: 15_600, closeMs: 2400, flushMs: 6000 }],
    [10, 5, { drainMs: 2600, closeMs: 400, flushMs: 1000 }],
    [6, 5, { drainMs: 520, closeMs: 80, flushMs: 200 }],
    [600, 5, { drainMs: 579_000, closeMs: 5000, flushMs: 10_000 }],
  ])('grace %is, drain %is -> shutdown budgets %j', (grace, drain, want) => {
    expect(budgets(grace, drain)).toEqual(want);
  });

  it('always fits the budgets into the time between SIGTERM and SIGKILL, with headroom', () => {
    for (const grace of [1, 2, 3, 5, 7, 10, 30, 61, 600, 3600]) {
      for (const drain of [0, 1, 2, 5, 29, 599].filter((d) => d < grace)) {
        const b = budgets(grace, drain);
        const window = (grace - drain) * 1000;
        expect(b.drainMs + b.closeMs + b.flushMs).toBeLessThanOrEqual(window - Math.min(1000, window / 5));
        expect(Math.min(b.drainMs, b.closeMs, b.flushMs)).toBeGreaterThanOrEqual(0);
      }
    }
  });
});
