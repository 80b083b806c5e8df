// The ChatbotDeployment CRD against the real kube-apiserver: kubectl (explain, printer columns,
// categories) and the status subresource (conditions, field managers, pruning).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { API_GROUP_VERSION, KIND, type ChatbotDeployment } from '../index.js';
import { CbdApi, cbdInput, minimalSpec } from './support.js';
import { apiErrorMessage, cli, waitFor } from './test-env.js';

const api = new CbdApi('api-status');
beforeAll(async () => {
  await api.setup();
  await api.create(cbdInput('minimal', minimalSpec()));
});
afterAll(() => api.teardown());

describe('kubectl', () => {
  it('explain chatbotdeployment.spec --recursive lists every section', async () => {
    // The API server publishes the CRD's OpenAPI asynchronously after an update: poll.
    const out = await waitFor('kubectl explain to show the current schema', async () => {
      const { stdout } = await cli(api.env, api.env.kubectl, [
        'explain',
        'chatbotdeployment.spec',
        '--recursive',
      ]);
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
    const { stdout } = await cli(api.env, api.env.kubectl, ['explain', 'cbd.spec.slo.latency.percentile']);
    expect(stdout).toContain('strictly between 0 and 100');
  });

  it('get shows the printer columns, by short name and by category', async () => {
    const byShortName = await cli(api.env, api.env.kubectl, ['get', 'cbd', '-n', api.namespace]);
    expect(byShortName.stdout.split('\n')[0]).toMatch(/NAME\s+MODEL\s+DESIRED\s+READY\s+SLO\s+STATUS\s+AGE/);
    expect(byShortName.stdout).toMatch(/minimal\s+v1\s+.*300/);
    const byCategory = await cli(api.env, api.env.kubectl, [
      'get',
      'chatfleet',
      '-n',
      api.namespace,
      '-o',
      'name',
    ]);
    expect(byCategory.stdout).toContain('chatbotdeployment.chatfleet.io/minimal');
  });
});

describe('status subresource', () => {
  it('accepts conditions through /status without bumping the generation, and prunes unknown fields', async () => {
    const current = await api.get('minimal');
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
    const updated = (await api.replaceStatus('minimal', body)) as ChatbotDeployment & {
      status: Record<string, unknown>;
    };
    expect(updated.metadata.generation).toBe(current.metadata.generation);
    expect(updated.status.conditions).toHaveLength(1);
    expect(updated.status).not.toHaveProperty('notInSchema');
    const { stdout } = await cli(api.env, api.env.kubectl, [
      'wait',
      '--for=condition=Ready',
      '-n',
      api.namespace,
      'cbd/minimal',
      '--timeout=30s',
    ]);
    expect(stdout).toContain('condition met');
    const table = await cli(api.env, api.env.kubectl, [
      'get',
      'cbd',
      'minimal',
      '-n',
      api.namespace,
      '--no-headers',
    ]);
    expect(table.stdout).toMatch(/^minimal\s+v1\s+2\s+2\s+300\s+True\s/);
  });

  it('keeps conditions applied by different field managers side by side (list-map keyed by type)', async () => {
    const apply = (manager: string, type: string) => {
      const obj = {
        apiVersion: API_GROUP_VERSION,
        kind: KIND,
        metadata: { name: 'minimal', namespace: api.namespace },
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
      return cli(api.env, api.env.kubectl, args, JSON.stringify(obj));
    };
    await apply('chatfleet-test-autoscaler', 'ScalingActive');
    await apply('chatfleet-test-kafka', 'TopicsReady');
    const { stdout } = await cli(api.env, api.env.kubectl, [
      'get',
      'cbd',
      'minimal',
      '-n',
      api.namespace,
      '-o',
      'json',
    ]);
    const conditions = (JSON.parse(stdout) as ChatbotDeployment).status?.conditions ?? [];
    // Ready was written by the previous test's PUT; each writer keeps its own entries.
    expect(conditions.map((c) => `${c.type}:${c.message}`).sort()).toEqual([
      'Ready:all pods ready',
      'ScalingActive:chatfleet-test-autoscaler',
      'TopicsReady:chatfleet-test-kafka',
    ]);
  });

  it('rejects a condition without reason', async () => {
    const current = await api.get('minimal');
    const body = {
      ...current,
      status: {
        conditions: [
          { type: 'Degraded', status: 'False', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' },
        ],
      },
    };
    const err = await api.replaceStatus('minimal', body).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(apiErrorMessage(err)).toContain('status.conditions[0].reason');
  });
});
