// The ChatbotDeployment CRD against the real kube-apiserver of the test environment:
// installation, API-server defaulting, validation messages, kubectl explain, printer columns
// and the status subresource.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import {
  API_GROUP,
  API_GROUP_VERSION,
  API_VERSION,
  KIND,
  PLURAL,
  withDefaults,
  type ChatbotDeployment,
  type ChatbotDeploymentInput,
} from '../index.js';
import {
  apiErrorMessage,
  cli,
  installCrd,
  kubeConfig,
  requireTestEnv,
  uniqueSuffix,
  waitFor,
  type TestEnv,
} from './test-env.js';

type Spec = Record<string, unknown>;

const minimalSpec = (): Spec => ({
  runtime: { image: 'ghcr.io/acme/chatfleet-bot:1.0.0' },
  model: { name: 'faq', version: 'v1' },
});

function cr(name: string, spec: Spec): ChatbotDeploymentInput {
  return {
    apiVersion: API_GROUP_VERSION,
    kind: KIND,
    metadata: { name },
    spec,
  } as unknown as ChatbotDeploymentInput;
}

let env: TestEnv;
let kc: KubeConfig;
let custom: CustomObjectsApi;
let core: CoreV1Api;
const namespace = `api-validation-${uniqueSuffix()}`;

async function create(body: ChatbotDeploymentInput, dryRun?: 'All'): Promise<ChatbotDeployment> {
  return (await custom.createNamespacedCustomObject({
    group: API_GROUP,
    version: API_VERSION,
    namespace,
    plural: PLURAL,
    body,
    dryRun,
  })) as ChatbotDeployment;
}

/** Creates (server-side dry run) and returns the API server's rejection message, or fails. */
async function rejection(spec: Spec, name = `bad-${uniqueSuffix()}`): Promise<string> {
  try {
    await create(cr(name, spec), 'All');
  } catch (err: unknown) {
    return apiErrorMessage(err);
  }
  throw new Error(`the API server accepted an invalid spec: ${JSON.stringify(spec)}`);
}

beforeAll(async () => {
  env = requireTestEnv();
  kc = kubeConfig(env);
  custom = kc.makeApiClient(CustomObjectsApi);
  core = kc.makeApiClient(CoreV1Api);
  await installCrd(env, kc);
  await core.createNamespace({
    body: { metadata: { name: namespace, labels: { 'chatfleet.io/test': 'api' } } },
  });
});

afterAll(async () => {
  await core?.deleteNamespace({ name: namespace }).catch(() => undefined);
});

describe('a minimal ChatbotDeployment (runtime.image, model.name, model.version)', () => {
  it('is accepted and the API server fills in every default, exactly as withDefaults() does', async () => {
    const created = await create(cr('minimal', minimalSpec()));
    expect(created.spec.scaling).toMatchObject({
      minReplicas: 2,
      maxReplicas: 10,
      intervalSeconds: 15,
      tolerance: 0.1,
    });
    expect(created.spec.scaling.behavior.scaleDown.stabilizationWindowSeconds).toBe(300);
    expect(created.spec.slo.latency).toEqual({ percentile: 95, targetMs: 300 });
    expect(created.spec.runtime).toMatchObject({
      imagePullPolicy: 'IfNotPresent',
      maxInflight: 64,
      maxMessageBytes: 4096,
    });
    expect(created.spec.runtime.resources.requests).toEqual({ cpu: '250m', memory: '256Mi' });
    expect(created.spec.rollout.steps[0]).toEqual({ setWeight: 10 });
    expect(created.spec.sessions.redis).toMatchObject({ mode: 'managed', topology: 'standalone' });
    expect(created.spec.podDisruptionBudget).toEqual({ enabled: true, maxUnavailable: 1 });
    expect(created.spec.placement.zoneSpread.enabled).toBe(true);
    expect(created.spec.messaging).toBeUndefined();
    // Local defaulting (used by pure code and unit tests) must not drift from the server's.
    expect(created.spec).toEqual(withDefaults(cr('minimal', minimalSpec())).spec);
  });

  it('keeps explicit values and defaults inside list items', async () => {
    const spec = {
      ...minimalSpec(),
      scaling: {
        minReplicas: 3,
        schedules: [{ name: 'lunch', cron: '0 12 * * 1-5', durationSeconds: 3600, minReplicas: 5 }],
      },
      messaging: {
        kafka: {
          bootstrapServers: ['kafka:9092'],
          topics: [{ name: 'ev', partitions: 6, purpose: 'events' }],
        },
      },
    };
    const created = await create(cr('explicit', spec), 'All');
    expect(created.spec.scaling.minReplicas).toBe(3);
    expect(created.spec.scaling.schedules?.[0]?.timeZone).toBe('UTC');
    expect(created.spec.messaging?.kafka?.topics?.[0]).toEqual({
      name: 'ev',
      partitions: 6,
      replicationFactor: 1,
      purpose: 'events',
    });
    expect(created.spec).toEqual(withDefaults(cr('explicit', spec)).spec);
  });
});

// [case, spec change, text the message must contain (it names the field)]
const invalid: [string, (s: Spec) => Spec, string][] = [
  [
    'auth without a method',
    (s) => ({ ...s, runtime: { image: 'x', auth: {} } }),
    'spec.runtime.auth must set',
  ],
  [
    'jwt without keys',
    (s) => ({ ...s, runtime: { image: 'x', auth: { jwt: { issuer: 'https://idp' } } } }),
    'spec.runtime.auth.jwt must set jwksUrl',
  ],
  [
    'jwksUrl not http(s)',
    (s) => ({ ...s, runtime: { image: 'x', auth: { jwt: { jwksUrl: 'file:///etc/keys' } } } }),
    'spec.runtime.auth.jwt.jwksUrl must be an http(s) URL',
  ],
  [
    'an audience with a comma',
    (s) => ({
      ...s,
      runtime: { image: 'x', auth: { jwt: { jwksUrl: 'https://idp/jwks', audiences: ['a,b'] } } },
    }),
    'spec.runtime.auth.jwt.audiences[0]',
  ],
  [
    'trustedProxies entry not an IP or CIDR',
    (s) => ({ ...s, runtime: { image: 'x', trustedProxies: ['10.0.0.0/8', 'proxy.local'] } }),
    'spec.runtime.trustedProxies[] must be an IP address or a CIDR range',
  ],
  [
    'rateLimitPerMinute negative',
    (s) => ({ ...s, runtime: { image: 'x', rateLimitPerMinute: -1 } }),
    'spec.runtime.rateLimitPerMinute',
  ],
  [
    'env sets FLEET_ID',
    (s) => ({ ...s, runtime: { image: 'x', env: [{ name: 'FLEET_ID', value: 'other/fleet' }] } }),
    'spec.runtime.env[0].name',
  ],
  [
    'minReplicas > maxReplicas',
    (s) => ({ ...s, scaling: { minReplicas: 5, maxReplicas: 3 } }),
    'spec.scaling.minReplicas must be less than or equal to spec.scaling.maxReplicas',
  ],
  ['minReplicas 0', (s) => ({ ...s, scaling: { minReplicas: 0 } }), 'spec.scaling.minReplicas'],
  ['maxReplicas above bound', (s) => ({ ...s, scaling: { maxReplicas: 5000 } }), 'spec.scaling.maxReplicas'],
  ['percentile 100', (s) => ({ ...s, slo: { latency: { percentile: 100 } } }), 'spec.slo.latency.percentile'],
  ['percentile 0', (s) => ({ ...s, slo: { latency: { percentile: 0 } } }), 'spec.slo.latency.percentile'],
  ['targetMs 0', (s) => ({ ...s, slo: { latency: { targetMs: 0 } } }), 'spec.slo.latency.targetMs'],
  ['empty image', (s) => ({ ...s, runtime: { image: '' } }), 'spec.runtime.image'],
  ['blank image', (s) => ({ ...s, runtime: { image: '   ' } }), 'spec.runtime.image'],
  ['missing image', (s) => ({ ...s, runtime: {} }), 'spec.runtime.image'],
  ['empty model version', (s) => ({ ...s, model: { name: 'faq', version: '' } }), 'spec.model.version'],
  ['missing model version', (s) => ({ ...s, model: { name: 'faq' } }), 'spec.model.version'],
  [
    'model version not a label value',
    (s) => ({ ...s, model: { name: 'faq', version: 'v 1' } }),
    'spec.model.version',
  ],
  ['maxInflight 0', (s) => ({ ...s, runtime: { image: 'x', maxInflight: 0 } }), 'spec.runtime.maxInflight'],
  ['tolerance 1.5', (s) => ({ ...s, scaling: { tolerance: 1.5 } }), 'spec.scaling.tolerance'],
  [
    'drainSeconds >= grace period',
    (s) => ({ ...s, runtime: { image: 'x', drainSeconds: 30, terminationGracePeriodSeconds: 30 } }),
    'spec.runtime.drainSeconds must be less than spec.runtime.terminationGracePeriodSeconds',
  ],
  [
    'targetInflightPerPod > maxInflight',
    (s) => ({ ...s, runtime: { image: 'x', maxInflight: 10 }, scaling: { targetInflightPerPod: 11 } }),
    'spec.scaling.targetInflightPerPod must not exceed spec.runtime.maxInflight',
  ],
  [
    'partitions 0',
    (s) => ({
      ...s,
      messaging: { kafka: { bootstrapServers: ['k:9092'], topics: [{ name: 't', partitions: 0 }] } },
    }),
    'spec.messaging.kafka.topics[0].partitions',
  ],
  [
    'replicationFactor 0',
    (s) => ({
      ...s,
      messaging: { kafka: { bootstrapServers: ['k:9092'], topics: [{ name: 't', replicationFactor: 0 }] } },
    }),
    'spec.messaging.kafka.topics[0].replicationFactor',
  ],
  [
    'no bootstrapServers',
    (s) => ({ ...s, messaging: { kafka: { bootstrapServers: [] } } }),
    'spec.messaging.kafka.bootstrapServers',
  ],
  [
    'two events topics',
    (s) => ({
      ...s,
      messaging: {
        kafka: {
          bootstrapServers: ['k:9092'],
          topics: [
            { name: 'a', purpose: 'events' },
            { name: 'b', purpose: 'events' },
          ],
        },
      },
    }),
    'spec.messaging.kafka.topics[] may hold at most one topic with purpose events',
  ],
  [
    'invalid deletionPolicy',
    (s) => ({ ...s, messaging: { kafka: { bootstrapServers: ['k:9092'], deletionPolicy: 'Orphan' } } }),
    'spec.messaging.kafka.deletionPolicy',
  ],
  [
    'cluster with 2 shards',
    (s) => ({ ...s, sessions: { redis: { topology: 'cluster', shards: 2 } } }),
    'spec.sessions.redis.shards must be at least 3',
  ],
  [
    'external redis without secretRef',
    (s) => ({ ...s, sessions: { redis: { mode: 'external' } } }),
    'spec.sessions.redis.secretRef is required when spec.sessions.redis.mode is external',
  ],
  [
    'invalid redis mode',
    (s) => ({ ...s, sessions: { redis: { mode: 'cloud' } } }),
    'spec.sessions.redis.mode',
  ],
  [
    'invalid imagePullPolicy',
    (s) => ({ ...s, runtime: { image: 'x', imagePullPolicy: 'Sometimes' } }),
    'spec.runtime.imagePullPolicy',
  ],
  [
    'invalid scaling policy type',
    (s) => ({
      ...s,
      scaling: { behavior: { scaleUp: { policies: [{ type: 'Nodes', value: 1, periodSeconds: 15 }] } } },
    }),
    'spec.scaling.behavior.scaleUp.policies[0].type',
  ],
  [
    'setWeight 101',
    (s) => ({ ...s, rollout: { steps: [{ setWeight: 101 }] } }),
    'spec.rollout.steps[0].setWeight',
  ],
  [
    'setWeight 0',
    (s) => ({ ...s, rollout: { steps: [{ setWeight: 0 }] } }),
    'spec.rollout.steps[0].setWeight',
  ],
  [
    'step with two actions',
    (s) => ({ ...s, rollout: { steps: [{ setWeight: 10, pause: {} }] } }),
    'spec.rollout.steps[] entries must set exactly one of setWeight, pause or analysis',
  ],
  [
    'fallback static without replicas',
    (s) => ({ ...s, scaling: { fallback: { behavior: 'static' } } }),
    'spec.scaling.fallback.replicas is required when spec.scaling.fallback.behavior is static',
  ],
  [
    'schedule floor above maxReplicas',
    (s) => ({
      ...s,
      scaling: {
        maxReplicas: 4,
        schedules: [{ name: 'peak', cron: '0 9 * * *', durationSeconds: 600, minReplicas: 8 }],
      },
    }),
    'spec.scaling.schedules[].minReplicas must not exceed spec.scaling.maxReplicas',
  ],
  [
    'cron with 3 fields',
    (s) => ({
      ...s,
      scaling: { schedules: [{ name: 'peak', cron: '0 9 *', durationSeconds: 600, minReplicas: 2 }] },
    }),
    'spec.scaling.schedules[0].cron',
  ],
  [
    'panic window >= stable window',
    (s) => ({ ...s, scaling: { metricsWindowSeconds: 10, panic: { windowSeconds: 10 } } }),
    'spec.scaling.panic.windowSeconds must be less than spec.scaling.metricsWindowSeconds',
  ],
  [
    'prometheus source without server',
    (s) => ({ ...s, scaling: { metrics: { source: 'prometheus' } } }),
    'spec.scaling.metrics.prometheus is required',
  ],
  [
    'operator-managed env var',
    (s) => ({ ...s, runtime: { image: 'x', env: [{ name: 'MODEL_VERSION', value: 'v9' }] } }),
    'spec.runtime.env[].name must not be a variable the operator sets',
  ],
  [
    'maxUnavailable not a number or percent',
    (s) => ({ ...s, podDisruptionBudget: { maxUnavailable: 'half' } }),
    'spec.podDisruptionBudget.maxUnavailable',
  ],
];

describe('the API server rejects invalid specs with a message naming the field', () => {
  it.each(invalid)('%s', async (_case, change, expected) => {
    const message = await rejection(change(minimalSpec()));
    expect(message).toContain(expected);
  });

  it('rejects a name longer than 40 characters (child names are derived from it)', async () => {
    expect(await rejection(minimalSpec(), `a${'b'.repeat(40)}`)).toContain(
      'metadata.name must be at most 40 characters',
    );
  });

  it('puts CEL errors on the field itself (fieldPath)', async () => {
    const message = await rejection({ ...minimalSpec(), scaling: { minReplicas: 5, maxReplicas: 3 } });
    expect(message).toMatch(/spec\.scaling\.minReplicas: Invalid value/);
  });
});

describe('changes the API leaves to the operator', () => {
  it('accepts a Kafka partition decrease (the operator refuses it on the broker with reason NotSupported)', async () => {
    const kafka = (partitions: number): Spec => ({
      ...minimalSpec(),
      messaging: { kafka: { bootstrapServers: ['k:9092'], topics: [{ name: 'ev', partitions }] } },
    });
    const created = await create(cr('shrink', kafka(12)));
    const replaced = (await custom.replaceNamespacedCustomObject({
      group: API_GROUP,
      version: API_VERSION,
      namespace,
      plural: PLURAL,
      name: 'shrink',
      body: { ...created, spec: { ...created.spec, ...kafka(3) } },
    })) as ChatbotDeployment;
    expect(replaced.spec.messaging?.kafka?.topics?.[0]?.partitions).toBe(3);
    expect(replaced.metadata.generation).toBe((created.metadata.generation ?? 0) + 1);
  });
});

describe('the examples', () => {
  it.each(['chatbotdeployment-minimal.yaml', 'chatbotdeployment-full.yaml'])(
    '%s is accepted',
    async (file) => {
      const text = await readFile(new URL(`../../../examples/${file}`, import.meta.url), 'utf8');
      const docs = parseAllDocuments(text).map((d) => d.toJSON() as ChatbotDeploymentInput);
      const cbds = docs.filter((d) => d.kind === KIND);
      expect(cbds.length).toBeGreaterThanOrEqual(1);
      for (const doc of cbds) {
        const created = await create({ ...doc, metadata: { ...doc.metadata, namespace } }, 'All');
        expect(created.spec.model.version).toBe(doc.spec.model.version);
      }
    },
  );
});

describe('kubectl', () => {
  it('explain chatbotdeployment.spec --recursive lists every section', async () => {
    // The API server publishes the CRD's OpenAPI asynchronously after an update: poll.
    const out = await waitFor('kubectl explain to show the current schema', async () => {
      const { stdout } = await cli(env, env.kubectl, ['explain', 'chatbotdeployment.spec', '--recursive']);
      return stdout.includes('targetInflightPerPod') && stdout.includes('replicationFactor')
        ? stdout
        : undefined;
    });
    for (const field of [
      'runtime',
      'model',
      'scaling',
      'slo',
      'rollout',
      'sessions',
      'messaging',
      'placement',
      'podDisruptionBudget',
    ]) {
      expect(out).toMatch(new RegExp(`^  ${field}\\s`, 'm'));
    }
  });

  it('explain shows the description of a field', async () => {
    const { stdout } = await cli(env, env.kubectl, ['explain', 'cbd.spec.slo.latency.percentile']);
    expect(stdout).toContain('strictly between 0 and 100');
  });

  it('get shows the printer columns, by short name and by category', async () => {
    const byShortName = await cli(env, env.kubectl, ['get', 'cbd', '-n', namespace]);
    expect(byShortName.stdout.split('\n')[0]).toMatch(/NAME\s+MODEL\s+DESIRED\s+READY\s+SLO\s+STATUS\s+AGE/);
    expect(byShortName.stdout).toMatch(/minimal\s+v1\s+.*300/);
    const byCategory = await cli(env, env.kubectl, ['get', 'chatfleet', '-n', namespace, '-o', 'name']);
    expect(byCategory.stdout).toContain('chatbotdeployment.chatfleet.io/minimal');
  });
});

describe('status subresource', () => {
  it('accepts conditions through /status without bumping the generation, and prunes unknown fields', async () => {
    const current = (await custom.getNamespacedCustomObject({
      group: API_GROUP,
      version: API_VERSION,
      namespace,
      plural: PLURAL,
      name: 'minimal',
    })) as ChatbotDeployment;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const body = {
      ...current,
      status: {
        observedGeneration: current.metadata.generation,
        replicas: 2,
        readyReplicas: 2,
        autoscaling: { desiredReplicas: 2, mode: 'stable' },
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'Available',
            message: 'all pods ready',
            lastTransitionTime: now,
            observedGeneration: current.metadata.generation,
          },
        ],
        notInSchema: true,
      },
    };
    const updated = (await custom.replaceNamespacedCustomObjectStatus({
      group: API_GROUP,
      version: API_VERSION,
      namespace,
      plural: PLURAL,
      name: 'minimal',
      body,
    })) as ChatbotDeployment & { status: Record<string, unknown> };
    expect(updated.metadata.generation).toBe(current.metadata.generation);
    expect(updated.status.conditions).toHaveLength(1);
    expect(updated.status).not.toHaveProperty('notInSchema');
    const { stdout } = await cli(env, env.kubectl, [
      'wait',
      '--for=condition=Ready',
      '-n',
      namespace,
      'cbd/minimal',
      '--timeout=30s',
    ]);
    expect(stdout).toContain('condition met');
    const table = await cli(env, env.kubectl, ['get', 'cbd', 'minimal', '-n', namespace, '--no-headers']);
    expect(table.stdout).toMatch(/^minimal\s+v1\s+2\s+2\s+300\s+True\s/);
  });

  it('keeps conditions applied by different field managers side by side (list-map keyed by type)', async () => {
    const apply = (manager: string, type: string) => {
      const obj = {
        apiVersion: API_GROUP_VERSION,
        kind: KIND,
        metadata: { name: 'minimal', namespace },
        status: {
          conditions: [
            {
              type,
              status: 'True',
              reason: 'AsExpected',
              message: manager,
              lastTransitionTime: '2026-01-01T00:00:00Z',
            },
          ],
        },
      };
      const args = [
        'apply',
        '--server-side',
        '--subresource=status',
        `--field-manager=${manager}`,
        '-f',
        '-',
      ];
      return cli(env, env.kubectl, args, JSON.stringify(obj));
    };
    await apply('chatfleet-test-autoscaler', 'ScalingActive');
    await apply('chatfleet-test-kafka', 'TopicsReady');
    const { stdout } = await cli(env, env.kubectl, ['get', 'cbd', 'minimal', '-n', namespace, '-o', 'json']);
    const conditions = (JSON.parse(stdout) as ChatbotDeployment).status?.conditions ?? [];
    // Ready was written by the previous test's PUT; each writer keeps its own entries.
    expect(conditions.map((c) => `${c.type}:${c.message}`).sort()).toEqual([
      'Ready:all pods ready',
      'ScalingActive:chatfleet-test-autoscaler',
      'TopicsReady:chatfleet-test-kafka',
    ]);
  });

  it('rejects a condition without reason', async () => {
    const current = (await custom.getNamespacedCustomObject({
      group: API_GROUP,
      version: API_VERSION,
      namespace,
      plural: PLURAL,
      name: 'minimal',
    })) as ChatbotDeployment;
    const body = {
      ...current,
      status: {
        conditions: [
          { type: 'Degraded', status: 'False', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' },
        ],
      },
    };
    const err = await custom
      .replaceNamespacedCustomObjectStatus({
        group: API_GROUP,
        version: API_VERSION,
        namespace,
        plural: PLURAL,
        name: 'minimal',
        body,
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(apiErrorMessage(err)).toContain('status.conditions[0].reason');
  });
});
