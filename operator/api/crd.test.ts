import { describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import type { JsonSchema } from './codegen/schema-to-ts.js';
import { API_GROUP, API_VERSION, CATEGORY, CRD_NAME, KIND, PLURAL, SHORT_NAME } from './index.js';

interface Crd {
  metadata: { name: string };
  spec: {
    group: string;
    scope: string;
    names: { kind: string; plural: string; shortNames: string[]; categories: string[] };
    versions: {
      name: string;
      subresources: Record<string, unknown>;
      additionalPrinterColumns: { name: string; jsonPath: string }[];
      schema: { openAPIV3Schema: JsonSchema };
    }[];
  };
}

const crd = parse(
  await readFile(new URL('../../crds/chatfleet.io_chatbotdeployments.yaml', import.meta.url), 'utf8'),
) as Crd;
const version = crd.spec.versions[0]!;
const schema = version.schema.openAPIV3Schema;

/** Every schema node with its path, depth first. */
function walk(node: JsonSchema, path: string, out: [string, JsonSchema][] = []): [string, JsonSchema][] {
  out.push([path, node]);
  for (const [key, child] of Object.entries(node.properties ?? {}))
    walk(child, path ? `${path}.${key}` : key, out);
  if (node.items) walk(node.items, `${path}[]`, out);
  if (typeof node.additionalProperties === 'object') walk(node.additionalProperties, `${path}{}`, out);
  return out;
}
const nodes = walk(schema, '');

/** Field paths fixed by the shared contract; renaming one breaks other components. */
const CONTRACT_FIELDS = `
spec.runtime.image spec.runtime.imagePullPolicy spec.runtime.resources spec.runtime.maxInflight
spec.runtime.maxMessageBytes spec.runtime.llm.endpoint spec.runtime.llm.model spec.runtime.llm.apiKeySecretRef.name
spec.runtime.llm.apiKeySecretRef.key spec.runtime.auth.apiKeysSecretRef.name spec.runtime.auth.apiKeysSecretRef.key
spec.runtime.logLevel spec.runtime.env spec.runtime.drainSeconds spec.runtime.terminationGracePeriodSeconds
spec.model.name spec.model.version spec.model.bundleConfigMap
spec.scaling.minReplicas spec.scaling.maxReplicas spec.scaling.paused spec.scaling.intervalSeconds
spec.scaling.targetInflightPerPod spec.scaling.tolerance spec.scaling.metricsWindowSeconds
spec.scaling.panic.threshold spec.scaling.panic.windowSeconds
spec.scaling.behavior.scaleUp.stabilizationWindowSeconds spec.scaling.behavior.scaleUp.policies[].type
spec.scaling.behavior.scaleUp.policies[].value spec.scaling.behavior.scaleUp.policies[].periodSeconds
spec.scaling.behavior.scaleUp.selectPolicy spec.scaling.behavior.scaleDown.stabilizationWindowSeconds
spec.scaling.behavior.scaleDown.policies spec.scaling.behavior.scaleDown.selectPolicy
spec.scaling.fallback.failureThreshold spec.scaling.fallback.behavior spec.scaling.fallback.replicas
spec.scaling.schedules[].name spec.scaling.schedules[].cron spec.scaling.schedules[].timeZone
spec.scaling.schedules[].durationSeconds spec.scaling.schedules[].minReplicas spec.scaling.predictive.leadSeconds
spec.scaling.metrics.source spec.scaling.metrics.prometheus.url spec.scaling.metrics.prometheus.query
spec.slo.latency.percentile spec.slo.latency.targetMs
spec.rollout.steps[].setWeight spec.rollout.steps[].pause.durationSeconds spec.rollout.steps[].analysis
spec.rollout.analysis.intervalSeconds spec.rollout.analysis.failureThreshold spec.rollout.analysis.minTurns
spec.rollout.analysis.maxErrorRate spec.rollout.analysis.maxFallbackRate spec.rollout.progressDeadlineSeconds
spec.sessions.ttlSeconds spec.sessions.maxTurns spec.sessions.redis.mode spec.sessions.redis.topology
spec.sessions.redis.shards spec.sessions.redis.replicasPerShard spec.sessions.redis.image spec.sessions.redis.resources
spec.sessions.redis.storage.size spec.sessions.redis.storage.storageClassName spec.sessions.redis.secretRef.name
spec.messaging.kafka.bootstrapServers spec.messaging.kafka.secretRef.name spec.messaging.kafka.deletionPolicy
spec.messaging.kafka.topics[].name spec.messaging.kafka.topics[].partitions spec.messaging.kafka.topics[].replicationFactor
spec.messaging.kafka.topics[].config spec.messaging.kafka.topics[].purpose
spec.placement.zoneSpread.enabled spec.placement.zoneSpread.maxSkew spec.placement.zoneSpread.whenUnsatisfiable
spec.placement.nodeSelector spec.placement.tolerations spec.podDisruptionBudget.enabled spec.podDisruptionBudget.maxUnavailable
status.observedGeneration status.replicas status.readyReplicas status.updatedReplicas status.selector
status.conditions[].type status.conditions[].status status.conditions[].reason status.conditions[].message
status.conditions[].lastTransitionTime status.conditions[].observedGeneration
status.autoscaling.desiredReplicas status.autoscaling.observedLatencyMs status.autoscaling.inflightPerPod
status.autoscaling.mode status.autoscaling.lastScaleTime status.autoscaling.reason
status.rollout.phase status.rollout.stableVersion status.rollout.canaryVersion status.rollout.canaryWeight
status.rollout.currentStepIndex status.rollout.failedChecks status.rollout.message
status.rollout.observedCanaryShare status.rollout.lastAnalysis[].metric status.rollout.lastAnalysis[].canary
status.rollout.lastAnalysis[].stable status.rollout.lastAnalysis[].canaryTurns status.rollout.lastAnalysis[].stableTurns
status.rollout.lastAnalysis[].verdict status.rollout.lastAnalysis[].reason status.rollout.startedAt status.rollout.lastHandledAction
spec.rollout.strategy spec.rollout.paused
status.redis.shards status.topics[].name status.topics[].partitions status.topics[].ready status.topics[].message
`
  .trim()
  .split(/\s+/);

describe('ChatbotDeployment CRD', () => {
  it('has the contract names', () => {
    expect(crd.metadata.name).toBe(CRD_NAME);
    expect(crd.spec.group).toBe(API_GROUP);
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names).toMatchObject({
      kind: KIND,
      plural: PLURAL,
      shortNames: [SHORT_NAME],
      categories: [CATEGORY],
    });
    expect(crd.spec.versions.map((v) => v.name)).toEqual([API_VERSION]);
    expect(version.subresources).toHaveProperty('status');
  });

  it('has every field issues 3 and 4 name', () => {
    const paths = new Set(nodes.map(([path]) => path));
    const missing = CONTRACT_FIELDS.filter((p) => !paths.has(p));
    expect(missing).toEqual([]);
  });

  it('describes every field, so kubectl explain --recursive is a reference', () => {
    // metadata is described by the API machinery; map values are described by their map field.
    const undocumented = nodes
      .filter(([path]) => path !== '' && path !== 'metadata' && !path.endsWith('{}'))
      .filter(([, node]) => !node.description)
      .map(([path]) => path);
    expect(undocumented).toEqual([]);
  });

  it('bounds every list, map and CEL-checked string so CEL rules stay within the cost limit', () => {
    const unbounded = nodes
      .filter(([path]) => path.startsWith('spec') || path.startsWith('status'))
      .filter(
        ([, n]) =>
          (n.type === 'array' && n.maxItems === undefined) ||
          (n.type === 'string' && n.maxLength === undefined && !n.enum && n.format !== 'date-time'),
      )
      .map(([path]) => path);
    expect(unbounded).toEqual([]);
  });

  it('names the field in every CEL message', () => {
    const rules = nodes.flatMap(([, n]) => n['x-kubernetes-validations'] ?? []);
    expect(rules.length).toBeGreaterThanOrEqual(15);
    for (const rule of rules) expect(rule.message).toMatch(/^(spec|metadata)\.[a-zA-Z]/);
  });

  it('keeps conditions a list-map keyed by type with the metav1.Condition fields', () => {
    const conditions = schema.properties!.status!.properties!.conditions!;
    expect(conditions['x-kubernetes-list-type']).toBe('map');
    expect(conditions['x-kubernetes-list-map-keys']).toEqual(['type']);
    expect(conditions.items!.required).toEqual(
      expect.arrayContaining(['type', 'status', 'reason', 'message', 'lastTransitionTime']),
    );
    expect(Object.keys(conditions.items!.properties!)).toContain('observedGeneration');
  });

  it('gives each defaulted section a default of {} so nested defaults cascade', () => {
    const spec = schema.properties!.spec!;
    for (const section of ['scaling', 'slo', 'rollout', 'sessions', 'placement', 'podDisruptionBudget']) {
      expect([section, spec.properties![section]!.default]).toEqual([section, {}]);
    }
    expect(spec.required).toEqual(['runtime', 'model']);
  });

  it('shows model, desired, ready, SLO, Ready status and age as printer columns', () => {
    const columns = Object.fromEntries(version.additionalPrinterColumns.map((c) => [c.name, c.jsonPath]));
    expect(columns).toMatchObject({
      Model: '.spec.model.version',
      Desired: '.status.autoscaling.desiredReplicas',
      Ready: '.status.readyReplicas',
      SLO: '.spec.slo.latency.targetMs',
      Status: '.status.conditions[?(@.type=="Ready")].status',
      Age: '.metadata.creationTimestamp',
      // -o wide: the worker pool
      Workers: '.status.workers.desiredReplicas',
      Lag: '.status.workers.lag',
    });
  });
});
