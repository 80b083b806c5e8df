/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return --
   These tests inspect raw Kubernetes JSON (kubectl -o json); typing every field would add nothing. */
/**
 * The data plane wired into the operator, end to end (Redis, and the steady state; Kafka topics are
 * operator-dataplane-kafka.test.ts): the real API server + kwok of the test
 * environment, the real Kafka broker (KAFKA_BROKERS), the operator running in-process against one
 * namespace with the data plane's components (Redis, Kafka topics) registered before the autoscaler-less core.
 */
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
} from '../../integration/support.js';
import {
  brokers,
  controllerOwner,
  dataplaneOperator,
  deployment,
  envOf,
  objectNames,
} from './operator-dataplane-support.js';

describe('data plane wired into the operator: Redis and the steady state', () => {
  const t = dataplaneOperator('cf-dp');

  it('managed standalone Redis: owned objects, restricted pods, env by secretKeyRef, RedisReady', async () => {
    await applyCr(t.ns, 'managed', { scaling: { minReplicas: 1, maxReplicas: 2 } });
    const cbd = await waitReady(t.ns, 'managed');
    const uid = cbd.metadata.uid;

    const sts = await kubectlJson(['-n', t.ns, 'get', 'statefulset', 'managed-redis']);
    const headless = await kubectlJson(['-n', t.ns, 'get', 'service', 'managed-redis-headless']);
    const client = await kubectlJson(['-n', t.ns, 'get', 'service', 'managed-redis']);
    const pdb = await kubectlJson(['-n', t.ns, 'get', 'pdb', 'managed-redis']);
    const secret = await kubectlJson(['-n', t.ns, 'get', 'secret', 'managed-redis-auth']);
    for (const obj of [sts, headless, client, pdb, secret]) {
      expect(controllerOwner(obj)).toMatchObject({ kind: 'ChatbotDeployment', name: 'managed', uid });
    }
    expect(headless.spec.clusterIP).toBe('None');
    const pod = sts.spec.template.spec;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    for (const c of pod.containers) {
      expect(c.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
    }

    const dep = await deployment(t.ns, 'managed');
    const env = envOf(dep);
    expect(env.REDIS_URL.value).toBe(`redis://managed-redis.${t.ns}.svc:6379`);
    expect(env.REDIS_PASSWORD.valueFrom.secretKeyRef).toMatchObject({
      name: 'managed-redis-auth',
      key: 'password',
    });
    const password = Buffer.from(String(secret.data.password), 'base64').toString('utf8');
    expect(password.length).toBeGreaterThan(0);
    expect(JSON.stringify(dep)).not.toContain(password);

    // kwok marks the StatefulSet pod Ready; the component reads readyReplicas by name.
    const ready = await waitFor(
      'RedisReady=True',
      async () => {
        const c = condition(await getCr(t.ns, 'managed'), 'RedisReady');
        return c?.status === 'True' ? c : undefined;
      },
      90_000,
    );
    expect(ready.reason).toBe('Ready');
    const status = (await getCr(t.ns, 'managed')).status;
    expect(status.redis.shards).toEqual([expect.objectContaining({ index: 0, ready: true })]);
    // Never re-applied: the generated password survives further reconciles.
    const again = await kubectlJson(['-n', t.ns, 'get', 'secret', 'managed-redis-auth']);
    expect(again.data.password).toBe(secret.data.password);
  });

  it('external Redis: env from the user Secret, no StatefulSet', async () => {
    await kubectl(
      ['-n', t.ns, 'apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'user-redis', namespace: t.ns },
        stringData: { url: 'redis://redis.example:6379', password: 's3cret-value' },
      }),
    );
    await applyCr(t.ns, 'external', {
      scaling: { minReplicas: 1, maxReplicas: 2 },
      sessions: { redis: { mode: 'external', secretRef: { name: 'user-redis' } } },
    });
    const cbd = await waitReady(t.ns, 'external');
    expect(condition(cbd, 'RedisReady')).toMatchObject({ status: 'True', reason: 'External' });
    const env = envOf(await deployment(t.ns, 'external'));
    expect(env.REDIS_URL.valueFrom.secretKeyRef).toMatchObject({ name: 'user-redis', key: 'url' });
    expect(env.REDIS_PASSWORD.valueFrom.secretKeyRef).toMatchObject({ name: 'user-redis', key: 'password' });
    const sets = await kubectl(['-n', t.ns, 'get', 'statefulsets', '-o', 'name']);
    expect(sets).not.toContain('external-redis');
    expect(JSON.stringify(await deployment(t.ns, 'external'))).not.toContain('s3cret-value');
  });

  it('issues no writes in steady state', async () => {
    // Ready fleets with Redis ready and topics settled (the previous tests' CRs still exist).
    await waitFor(
      'managed RedisReady and external Ready',
      async () => {
        const a = condition(await getCr(t.ns, 'managed'), 'RedisReady')?.status === 'True';
        const b = condition(await getCr(t.ns, 'external'), 'Ready')?.status === 'True';
        return a && b ? true : undefined;
      },
      60_000,
    );
    await applyCr(t.ns, 'steady', {
      scaling: { minReplicas: 1, maxReplicas: 1 },
      workers: { enabled: false }, // this test is about the topics/events, not the worker pool
      messaging: { kafka: { bootstrapServers: brokers } },
    });
    t.leftoverTopics.add(`${t.ns}.steady.events`).add(`${t.ns}.steady.tasks`);
    await waitFor(
      'steady settled',
      async () => {
        const c = await getCr(t.ns, 'steady');
        const ok =
          condition(c, 'Ready')?.status === 'True' &&
          condition(c, 'RedisReady')?.status === 'True' &&
          condition(c, 'TopicsReady')?.status === 'True';
        return ok ? true : undefined;
      },
      90_000,
    );
    // Let in-flight reconciles finish, then force reconciles with label touches (no generation change).
    await new Promise((r) => setTimeout(r, 3000));
    const before = await reconcileWrites(t.operator.registry);
    expect(before).toBeGreaterThan(0); // the counter does see this operator's writes
    for (let i = 0; i < 3; i++) {
      await kubectl(['-n', t.ns, 'label', 'cbd', 'steady', `touch=${i}`, '--overwrite']);
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(await reconcileWrites(t.operator.registry)).toBe(before);
  });

  it('switching managed -> external prunes the Redis objects, keeps the password Secret, and says so', async () => {
    await applyCr(t.ns, 'switch', { scaling: { minReplicas: 1, maxReplicas: 1 } });
    await waitReady(t.ns, 'switch');
    const names = ['statefulset/switch-redis', 'service/switch-redis', 'service/switch-redis-headless'];
    for (const n of [...names, 'pdb/switch-redis']) await kubectlJson(['-n', t.ns, 'get', n]);
    const deletesBefore = await metricValue(t.operator.registry, 'chatfleet_operator_kube_writes_total', {
      verb: 'delete',
    });
    // An unrelated object carrying the same labels but not controlled by the CR must survive.
    await kubectl(
      ['-n', t.ns, 'apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
          name: 'switch-redis-mine',
          namespace: t.ns,
          labels: {
            'app.kubernetes.io/name': 'redis',
            'app.kubernetes.io/instance': 'switch',
            'app.kubernetes.io/component': 'sessions',
          },
        },
        spec: { ports: [{ port: 6379 }], selector: { app: 'nothing' } },
      }),
    );

    await applyCr(t.ns, 'switch', {
      scaling: { minReplicas: 1, maxReplicas: 1 },
      sessions: { redis: { mode: 'external', secretRef: { name: 'user-redis' } } },
    });
    await waitFor(
      'managed Redis objects pruned',
      async () => {
        const left = await objectNames(t.ns, 'statefulsets,services,pdb');
        return left.some((n) => n.endsWith('/switch-redis') || n.endsWith('/switch-redis-headless'))
          ? undefined
          : left;
      },
      60_000,
    );
    const left = await objectNames(t.ns, 'statefulsets,services,pdb,secrets');
    expect(left).toEqual(
      expect.arrayContaining([
        'service/switch-redis-mine',
        'secret/switch-redis-auth',
        'service/switch', // the bot's own Service and PDB are not Redis objects
        'poddisruptionbudget.policy/switch',
      ]),
    );
    expect(envOf(await deployment(t.ns, 'switch')).REDIS_URL.valueFrom.secretKeyRef.name).toBe('user-redis');
    const events = await kubectl([
      '-n',
      t.ns,
      'get',
      'events.events.k8s.io',
      '--field-selector',
      'regarding.name=switch,reason=RedisPruned',
      '-o',
      'jsonpath={.items[*].note}',
    ]);
    expect(events).toContain('StatefulSet switch-redis');
    expect(events).toContain('PodDisruptionBudget switch-redis');
    const deletesAfter = await metricValue(t.operator.registry, 'chatfleet_operator_kube_writes_total', {
      verb: 'delete',
    });
    expect(deletesAfter - deletesBefore).toBe(4);
  });
});
