/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return --
   These tests inspect raw Kubernetes JSON (kubectl -o json, built manifests); typing every field would add nothing. */
import { describe, expect, it } from '@jest/globals';
import {
  applyCr,
  condition,
  getCr,
  kubectl,
  kubectlJson,
  metricValue,
  reconcileWrites,
  waitFor,
  waitReady,
  withOperatorNamespace,
} from './support.js';

// One operator (in-process, scoped to this namespace) drives a fleet through its lifecycle
// against the real API server, scheduler, controller-manager (GC) and kwok nodes.
describe('ChatbotDeployment lifecycle', () => {
  const env = withOperatorNamespace('cf-life');
  const name = 'support';

  it('creates owned children and reaches Ready on pods spread over zones', async () => {
    await applyCr(env.ns, name, { scaling: { minReplicas: 3, maxReplicas: 5 } });
    const cbd = await waitReady(env.ns, name);
    expect(cbd.status).toMatchObject({
      observedGeneration: cbd.metadata.generation,
      replicas: 3,
      readyReplicas: 3,
    });
    for (const type of ['Ready', 'Progressing', 'Degraded']) {
      expect(condition(cbd, type)).toMatchObject({
        observedGeneration: cbd.metadata.generation,
        reason: expect.any(String),
      });
      expect(condition(cbd, type).lastTransitionTime).toMatch(/Z$/);
    }
    expect(condition(cbd, 'Degraded').status).toBe('False');

    const owner = {
      apiVersion: 'chatfleet.io/v1alpha1',
      kind: 'ChatbotDeployment',
      name,
      uid: cbd.metadata.uid,
      controller: true,
    };
    const labels = {
      'app.kubernetes.io/name': 'chatbot',
      'app.kubernetes.io/instance': name,
      'app.kubernetes.io/managed-by': 'chatfleet-operator',
    };
    for (const [kind, child] of [
      ['deployment', name],
      ['service', name],
      ['pdb', name],
      ['serviceaccount', name],
      ['configmap', `${name}-runtime`],
    ]) {
      const obj = await kubectlJson(['-n', env.ns, 'get', kind!, child!, '--show-managed-fields']);
      expect(obj.metadata.ownerReferences).toEqual([expect.objectContaining(owner)]);
      expect(obj.metadata.labels).toMatchObject(labels);
      const managers = obj.metadata.managedFields.map((f: any) => `${f.manager}/${f.operation}`);
      expect(managers).toContain('chatfleet-operator/Apply');
    }

    const deploy = await kubectlJson(['-n', env.ns, 'get', 'deployment', name]);
    const pod = deploy.spec.template.spec;
    const c = pod.containers[0];
    expect(deploy.spec.replicas).toBe(3);
    expect(deploy.spec.template.metadata.labels['chatfleet.io/model-version']).toBe('v1');
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.securityContext).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
    });
    expect(c.lifecycle.preStop.sleep.seconds).toBe(5);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.topologySpreadConstraints[0].topologyKey).toBe('topology.kubernetes.io/zone');
    expect(c.env).toContainEqual({ name: 'MODEL_VERSION', value: 'v1' });
    expect(c.envFrom).toEqual([{ configMapRef: { name: `${name}-runtime` } }]);

    const svc = await kubectlJson(['-n', env.ns, 'get', 'service', name]);
    expect(svc.spec.ports).toEqual([expect.objectContaining({ name: 'http', port: 80, targetPort: 'http' })]);

    const pods = (
      await kubectlJson(['-n', env.ns, 'get', 'pods', '-l', `app.kubernetes.io/instance=${name}`])
    ).items;
    expect(pods).toHaveLength(3);
    const nodes = (await kubectlJson(['get', 'nodes'])).items;
    const zoneOf = new Map(
      nodes.map((n: any) => [n.metadata.name, n.metadata.labels['topology.kubernetes.io/zone']]),
    );
    for (const p of pods) {
      expect(p.metadata.labels['chatfleet.io/model-version']).toBe('v1');
      expect(p.status.conditions.find((x: any) => x.type === 'Ready').status).toBe('True');
      expect(
        nodes.find((n: any) => n.metadata.name === p.spec.nodeName)?.metadata.annotations?.[
          'kwok.x-k8s.io/node'
        ],
      ).toBe('fake');
    }
    expect(new Set(pods.map((p: any) => zoneOf.get(p.spec.nodeName))).size).toBe(3);

    // What users type:
    const out = await kubectl([
      '-n',
      env.ns,
      'wait',
      '--for=condition=Ready',
      `cbd/${name}`,
      '--timeout=60s',
    ]);
    expect(out).toMatch(/condition met/);
  });

  it('issues zero writes in steady state while reconciles keep running', async () => {
    const before = await reconcileWrites(env.operator.registry);
    const reconcilesBefore = await metricValue(env.operator.registry, 'chatfleet_operator_reconcile_total');
    const readyBefore = condition(await getCr(env.ns, name), 'Ready');
    // Metadata-only changes wake the reconciler (CR and child events) without changing any desired
    // state. Not on the Deployment: annotating it bumps its generation, a real (if brief) rollout.
    for (let i = 0; i < 3; i++) {
      await kubectl(['-n', env.ns, 'annotate', '--overwrite', `cbd/${name}`, `test.chatfleet.io/poke=${i}`]);
      await kubectl([
        '-n',
        env.ns,
        'annotate',
        '--overwrite',
        `service/${name}`,
        `test.chatfleet.io/poke=${i}`,
      ]);
      await kubectl([
        '-n',
        env.ns,
        'label',
        '--overwrite',
        `configmap/${name}-runtime`,
        `test.chatfleet.io/poke=${i}`,
      ]);
    }
    await waitFor(
      'reconciles of the pokes',
      async () =>
        (await metricValue(env.operator.registry, 'chatfleet_operator_reconcile_total')) >=
        reconcilesBefore + 3,
    );
    await waitFor(
      'work queue drained',
      async () =>
        (await metricValue(env.operator.registry, 'chatfleet_operator_workqueue_inflight')) === 0 &&
        (await metricValue(env.operator.registry, 'chatfleet_operator_workqueue_depth')) === 0,
    );
    expect(await reconcileWrites(env.operator.registry)).toBe(before);
    expect(condition(await getCr(env.ns, name), 'Ready').lastTransitionTime).toBe(
      readyBefore.lastTransitionTime,
    );
  });

  it('reverts manual edits of owned fields', async () => {
    await kubectl([
      '-n',
      env.ns,
      'patch',
      'configmap',
      `${name}-runtime`,
      '--type=merge',
      '-p',
      '{"data":{"LOG_LEVEL":"trace"}}',
    ]);
    await kubectl(['-n', env.ns, 'scale', 'deployment', name, '--replicas=1']);
    await waitFor(
      'ConfigMap reverted',
      async () =>
        (await kubectlJson(['-n', env.ns, 'get', 'configmap', `${name}-runtime`])).data.LOG_LEVEL === 'info',
    );
    await waitFor(
      'replicas reverted',
      async () => (await kubectlJson(['-n', env.ns, 'get', 'deployment', name])).spec.replicas === 3,
    );
    await waitReady(env.ns, name);
  });

  it('propagates spec changes', async () => {
    const gen = (await getCr(env.ns, name)).metadata.generation;
    await applyCr(env.ns, name, {
      scaling: { minReplicas: 2, maxReplicas: 5 },
      model: { name: 'support-bot', version: 'v2' },
      runtime: {
        image: 'registry.local/chatfleet-bot:1.1',
        logLevel: 'debug',
        resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } },
      },
    });
    const cbd = await waitFor('new generation Ready', async () => {
      const c = await waitReady(env.ns, name);
      return c.metadata.generation > gen ? c : undefined;
    });
    expect(cbd.status.replicas).toBe(2);
    const deploy = await kubectlJson(['-n', env.ns, 'get', 'deployment', name]);
    expect(deploy.spec.replicas).toBe(2);
    expect(deploy.spec.template.spec.containers[0].image).toBe('registry.local/chatfleet-bot:1.1');
    expect(deploy.spec.template.metadata.labels['chatfleet.io/model-version']).toBe('v2');
    expect((await kubectlJson(['-n', env.ns, 'get', 'configmap', `${name}-runtime`])).data.LOG_LEVEL).toBe(
      'debug',
    );
    const pods = (
      await kubectlJson(['-n', env.ns, 'get', 'pods', '-l', `app.kubernetes.io/instance=${name}`])
    ).items;
    expect(
      pods
        .filter((p: any) => !p.metadata.deletionTimestamp)
        .map((p: any) => p.metadata.labels['chatfleet.io/model-version']),
    ).toEqual(['v2', 'v2']);
  });

  it('reports an unschedulable fleet as Degraded with an actionable message', async () => {
    await applyCr(env.ns, 'nowhere', {
      scaling: { minReplicas: 1 },
      placement: { nodeSelector: { 'chatfleet.io/no-such-node': 'true' } },
    });
    const cbd = await waitFor('Degraded=True', async () => {
      const c = await getCr(env.ns, 'nowhere');
      return condition(c, 'Degraded')?.status === 'True' ? c : undefined;
    });
    expect(condition(cbd, 'Degraded')).toMatchObject({
      reason: 'Unschedulable',
      message: expect.stringMatching(/cannot be scheduled.*spec.placement/),
    });
    expect(condition(cbd, 'Ready').status).toBe('False');
    const events = await kubectlJson([
      '-n',
      env.ns,
      'get',
      'events.events.k8s.io',
      '--field-selector',
      'regarding.name=nowhere',
    ]);
    expect(events.items.map((e: any) => e.reason)).toEqual(
      expect.arrayContaining(['ChildrenApplied', 'Unschedulable']),
    );
  });

  it('removes the children when the CR is deleted', async () => {
    const children = [
      '-n',
      env.ns,
      'get',
      'deployment,service,pdb,configmap,serviceaccount',
      '-l',
      `app.kubernetes.io/instance=${name}`,
      '-o',
      'name',
    ];
    // Deployment, Services <name>, <name>-stable, <name>-canary, PDB, ConfigMap, ServiceAccount.
    expect((await kubectl(children)).trim().split('\n')).toHaveLength(7);
    await kubectl(['-n', env.ns, 'delete', 'cbd', name, '--wait=true']);
    await waitFor('children garbage-collected', async () => {
      const left = await kubectl(children);
      return left.trim() === '' ? true : undefined;
    });
  });
});
