import { describe, expect, it } from '@jest/globals';
import {
  API_GROUP_VERSION,
  KIND,
  applySchemaDefaults,
  defaultTopicNames,
  specWithDefaults,
  targetInflightPerPod,
  withDefaults,
  workersEnabled,
  type ChatbotDeploymentSpecInput,
} from './index.js';

const minimal: ChatbotDeploymentSpecInput = {
  runtime: { image: 'bot:1' },
  model: { name: 'faq', version: 'v1' },
};

describe('specWithDefaults', () => {
  it('fills every section of a minimal spec', () => {
    const spec = specWithDefaults(minimal);
    expect(spec.runtime).toMatchObject({ imagePullPolicy: 'IfNotPresent', maxInflight: 64, drainSeconds: 5 });
    expect(spec.runtime.resources).toEqual({
      requests: { cpu: '250m', memory: '256Mi' },
      limits: { memory: '512Mi' },
    });
    expect(spec.scaling).toMatchObject({
      minReplicas: 2,
      maxReplicas: 10,
      panic: { threshold: 2, windowSeconds: 10 },
    });
    expect(spec.scaling.behavior.scaleDown.stabilizationWindowSeconds).toBe(300);
    expect(spec.slo.latency).toEqual({ percentile: 95, targetMs: 300 });
    expect(spec.rollout.steps).toHaveLength(6);
    expect(spec.sessions.redis).toMatchObject({
      mode: 'managed',
      topology: 'standalone',
      image: 'redis:7.2',
    });
    expect(spec.placement.zoneSpread).toEqual({
      enabled: true,
      maxSkew: 1,
      whenUnsatisfiable: 'ScheduleAnyway',
    });
    expect(spec.podDisruptionBudget).toEqual({ enabled: true, maxUnavailable: 1 });
    expect(spec.messaging).toBeUndefined();
    expect(spec.scaling.targetInflightPerPod).toBeUndefined();
  });

  it('keeps explicit values and defaults only what is missing, inside list items too', () => {
    const spec = specWithDefaults({
      ...minimal,
      scaling: {
        minReplicas: 4,
        schedules: [{ name: 'lunch', cron: '0 12 * * 1-5', durationSeconds: 3600, minReplicas: 6 }],
      },
      messaging: { kafka: { bootstrapServers: ['k:9092'], topics: [{ name: 't', partitions: 12 }] } },
    });
    expect(spec.scaling.minReplicas).toBe(4);
    expect(spec.scaling.maxReplicas).toBe(10);
    expect(spec.scaling.schedules?.[0]?.timeZone).toBe('UTC');
    expect(spec.messaging?.kafka?.topics?.[0]).toEqual({ name: 't', partitions: 12, replicationFactor: 1 });
    expect(spec.messaging?.kafka?.deletionPolicy).toBe('Retain');
  });

  it('does not share default objects between results or modify the input', () => {
    const input = structuredClone(minimal);
    const a = specWithDefaults(input);
    a.rollout.steps.push({ setWeight: 100 });
    expect(specWithDefaults(input).rollout.steps).toHaveLength(6);
    expect(input).toEqual(minimal);
  });

  it('treats null like an absent field, as the API server prunes it before defaulting', () => {
    const spec = specWithDefaults({ ...minimal, slo: null } as unknown as ChatbotDeploymentSpecInput);
    expect(spec.slo.latency.targetMs).toBe(300);
  });
});

describe('applySchemaDefaults', () => {
  it('defaults map values through additionalProperties', () => {
    const out = applySchemaDefaults(
      {
        type: 'object',
        additionalProperties: { type: 'object', properties: { n: { type: 'integer', default: 1 } } },
      },
      { a: {}, b: { n: 5 } },
    );
    expect(out).toEqual({ a: { n: 1 }, b: { n: 5 } });
  });
});

describe('helpers', () => {
  it('withDefaults keeps type meta and metadata', () => {
    const cbd = withDefaults({
      apiVersion: API_GROUP_VERSION,
      kind: KIND,
      metadata: { name: 'a' },
      spec: minimal,
    });
    expect(cbd.metadata.name).toBe('a');
    expect(cbd.spec.scaling.maxReplicas).toBe(10);
  });

  it.each([
    [undefined, 64, 44.8],
    [undefined, 10, 7],
    [12, 64, 12],
  ])('targetInflightPerPod(explicit %p, maxInflight %p) = %p', (explicit, maxInflight, expected) => {
    const spec = specWithDefaults({
      ...minimal,
      runtime: { image: 'x', maxInflight },
      scaling: { targetInflightPerPod: explicit },
    });
    expect(targetInflightPerPod(spec)).toBeCloseTo(expected);
  });

  it('names default topics <namespace>.<name>.events / .tasks', () => {
    expect(defaultTopicNames('team-a', 'faq')).toEqual({
      events: 'team-a.faq.events',
      tasks: 'team-a.faq.tasks',
    });
  });
});

describe('workersEnabled (spec.workers.enabled, derived when unset)', () => {
  const kafka = { kafka: { bootstrapServers: ['k:9092'] } };
  it.each([
    { what: 'no Kafka, unset', spec: {}, want: false },
    { what: 'Kafka, unset', spec: { messaging: kafka }, want: true },
    { what: 'Kafka, enabled false', spec: { messaging: kafka, workers: { enabled: false } }, want: false },
    { what: 'Kafka, enabled true', spec: { messaging: kafka, workers: { enabled: true } }, want: true },
    // The CRD refuses this one; code still never runs workers without Kafka.
    { what: 'no Kafka, enabled true', spec: { workers: { enabled: true } }, want: false },
  ])('$what -> $want', ({ spec, want }) => {
    expect(workersEnabled(specWithDefaults({ ...minimal, ...spec }))).toBe(want);
  });
});
