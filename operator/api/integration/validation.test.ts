// The ChatbotDeployment CRD against the real kube-apiserver of the test environment: API-server
// defaulting (equal to withDefaults), validation messages naming the field, and the examples.
// kubectl and the status subresource: status.test.ts.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { KIND, withDefaults, type ChatbotDeploymentInput } from '../index.js';
import { invalid } from './invalid-specs.js';
import { CbdApi, cbdInput, minimalSpec, type Spec } from './support.js';

const api = new CbdApi('api-validation');
beforeAll(() => api.setup());
afterAll(() => api.teardown());

describe('a minimal ChatbotDeployment (runtime.image, model.name, model.version)', () => {
  it('is accepted and the API server fills in every default, exactly as withDefaults() does', async () => {
    const created = await api.create(cbdInput('minimal', minimalSpec()));
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
    expect(created.spec).toEqual(withDefaults(cbdInput('minimal', minimalSpec())).spec);
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
    const created = await api.create(cbdInput('explicit', spec), 'All');
    expect(created.spec.scaling.minReplicas).toBe(3);
    expect(created.spec.scaling.schedules?.[0]?.timeZone).toBe('UTC');
    expect(created.spec.messaging?.kafka?.topics?.[0]).toEqual({
      name: 'ev',
      partitions: 6,
      replicationFactor: 1,
      purpose: 'events',
    });
    expect(created.spec).toEqual(withDefaults(cbdInput('explicit', spec)).spec);
  });
});

describe('the API server rejects invalid specs with a message naming the field', () => {
  it.each(invalid)('%s', async (_case, change, expected) => {
    const message = await api.rejection(change(minimalSpec()));
    expect(message).toContain(expected);
  });

  it('rejects a name longer than 40 characters (child names are derived from it)', async () => {
    expect(await api.rejection(minimalSpec(), `a${'b'.repeat(40)}`)).toContain(
      'metadata.name must be at most 40 characters',
    );
  });

  it('puts CEL errors on the field itself (fieldPath)', async () => {
    const message = await api.rejection({ ...minimalSpec(), scaling: { minReplicas: 5, maxReplicas: 3 } });
    expect(message).toMatch(/spec\.scaling\.minReplicas: Invalid value/);
  });
});

describe('changes the API leaves to the operator', () => {
  it('accepts a Kafka partition decrease (the operator refuses it on the broker with reason NotSupported)', async () => {
    const kafka = (partitions: number): Spec => ({
      ...minimalSpec(),
      messaging: { kafka: { bootstrapServers: ['k:9092'], topics: [{ name: 'ev', partitions }] } },
    });
    const created = await api.create(cbdInput('shrink', kafka(12)));
    const replaced = await api.replace('shrink', { ...created, spec: { ...created.spec, ...kafka(3) } });
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
        const created = await api.create(
          { ...doc, metadata: { ...doc.metadata, namespace: api.namespace } },
          'All',
        );
        expect(created.spec.model.version).toBe(doc.spec.model.version);
      }
    },
  );
});
