/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-explicit-any --
   These tests inspect raw Kubernetes JSON (kubectl -o json); typing every field would add nothing. */
/**
 * The data plane wired into the operator, end to end: the real API server + kwok of the test
 * environment, the real Kafka broker (KAFKA_BROKERS), the operator running in-process against one
 * namespace with the data plane's components (Redis, Kafka topics) registered before the autoscaler-less core.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import kafkajs from 'kafkajs';
import type { Admin } from 'kafkajs';
import {
  applyCr,
  condition,
  createNamespace,
  getCr,
  installCrd,
  kubectl,
  kubectlJson,
  metricValue,
  reconcileWrites,
  requireKafkaBrokers,
  startInProcess,
  waitFor,
  waitReady,
} from '../../integration/support.js';
import type { InProcessOperator } from '../../integration/support.js';
import { dataplaneComponents } from './components.js';
import { TOPIC_FINALIZER } from '../index.js';
import { closedPort } from '../../../e2e/support/net.js';
import { deleteTopicsAndDisconnect, partitionsOf, releaseAndDeleteNamespace } from './kafka-support.js';

const { Kafka, logLevel } = kafkajs;
const execFileAsync = promisify(execFile);

const brokers = requireKafkaBrokers();
const leftoverTopics = new Set<string>();

function envOf(dep: any): Record<string, any> {
  const container = dep.spec.template.spec.containers[0];
  const env: any[] = container.env ?? [];
  return Object.fromEntries(env.map((e) => [String(e.name), e]));
}

async function deployment(ns: string, name: string): Promise<any> {
  return kubectlJson(['-n', ns, 'get', 'deployment', name]);
}

/** The TopicsReady condition when it has the wanted status, else undefined (for waitFor). */
async function topicsReady(ns: string, name: string, status: 'True' | 'False'): Promise<any> {
  const c = condition(await getCr(ns, name), 'TopicsReady');
  return c?.status === status ? c : undefined;
}

/** Stops or starts the test environment's broker in place (same port and data), from the repo root. */
async function kafkaBroker(action: 'stop' | 'start'): Promise<void> {
  await execFileAsync('bash', ['testenv/kafka.sh', action], { cwd: process.cwd(), timeout: 150_000 });
}

async function objectNames(ns: string, kinds: string): Promise<string[]> {
  return (await kubectl(['-n', ns, 'get', kinds, '-o', 'name'])).split('\n').filter(Boolean);
}

function controllerOwner(obj: any): any {
  return (obj.metadata.ownerReferences ?? []).find((r: any) => r.controller);
}

describe('data plane wired into the operator', () => {
  let ns: string;
  let operator: InProcessOperator;
  let admin: Admin;

  beforeAll(async () => {
    await installCrd();
    ns = await createNamespace('cf-dp');
    // As in main.ts: the component writes through the operator's client, so its writes are counted.
    operator = await startInProcess(ns, {}, [...dataplaneComponents({ topicOwnershipNamespace: ns })]);
    admin = new Kafka({ clientId: 'dp-operator-test', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  });

  afterAll(async () => {
    await operator?.stop();
    if (ns) await releaseAndDeleteNamespace(ns);
    if (admin) await deleteTopicsAndDisconnect(admin, leftoverTopics);
  });

  it('managed standalone Redis: owned objects, restricted pods, env by secretKeyRef, RedisReady', async () => {
    await applyCr(ns, 'managed', { scaling: { minReplicas: 1, maxReplicas: 2 } });
    const cr = await waitReady(ns, 'managed');
    const uid = cr.metadata.uid;

    const sts = await kubectlJson(['-n', ns, 'get', 'statefulset', 'managed-redis']);
    const headless = await kubectlJson(['-n', ns, 'get', 'service', 'managed-redis-headless']);
    const client = await kubectlJson(['-n', ns, 'get', 'service', 'managed-redis']);
    const pdb = await kubectlJson(['-n', ns, 'get', 'pdb', 'managed-redis']);
    const secret = await kubectlJson(['-n', ns, 'get', 'secret', 'managed-redis-auth']);
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

    const dep = await deployment(ns, 'managed');
    const env = envOf(dep);
    expect(env.REDIS_URL.value).toBe(`redis://managed-redis.${ns}.svc:6379`);
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
        const c = condition(await getCr(ns, 'managed'), 'RedisReady');
        return c?.status === 'True' ? c : undefined;
      },
      90_000,
    );
    expect(ready.reason).toBe('Ready');
    const status = (await getCr(ns, 'managed')).status;
    expect(status.redis.shards).toEqual([expect.objectContaining({ index: 0, ready: true })]);
    // Never re-applied: the generated password survives further reconciles.
    const again = await kubectlJson(['-n', ns, 'get', 'secret', 'managed-redis-auth']);
    expect(again.data.password).toBe(secret.data.password);
  });

  it('external Redis: env from the user Secret, no StatefulSet', async () => {
    await kubectl(
      ['-n', ns, 'apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'user-redis', namespace: ns },
        stringData: { url: 'redis://redis.example:6379', password: 's3cret-value' },
      }),
    );
    await applyCr(ns, 'external', {
      scaling: { minReplicas: 1, maxReplicas: 2 },
      sessions: { redis: { mode: 'external', secretRef: { name: 'user-redis' } } },
    });
    const cr = await waitReady(ns, 'external');
    expect(condition(cr, 'RedisReady')).toMatchObject({ status: 'True', reason: 'External' });
    const env = envOf(await deployment(ns, 'external'));
    expect(env.REDIS_URL.valueFrom.secretKeyRef).toMatchObject({ name: 'user-redis', key: 'url' });
    expect(env.REDIS_PASSWORD.valueFrom.secretKeyRef).toMatchObject({ name: 'user-redis', key: 'password' });
    const sets = await kubectl(['-n', ns, 'get', 'statefulsets', '-o', 'name']);
    expect(sets).not.toContain('external-redis');
    expect(JSON.stringify(await deployment(ns, 'external'))).not.toContain('s3cret-value');
  });

  it('Kafka: creates the default topics, raises partitions, deletes them with deletionPolicy Delete', async () => {
    const events = `${ns}.topics.events`;
    const tasks = `${ns}.topics.tasks`;
    leftoverTopics.add(events).add(tasks);
    const spec = (maxReplicas: number): Record<string, unknown> => ({
      scaling: { minReplicas: 1, maxReplicas },
      messaging: { kafka: { bootstrapServers: brokers, deletionPolicy: 'Delete' } },
    });
    await applyCr(ns, 'topics', spec(2));
    const cr = await waitFor(
      'TopicsReady=True',
      async () => {
        const c = await getCr(ns, 'topics');
        return condition(c, 'TopicsReady')?.status === 'True' ? c : undefined;
      },
      60_000,
    );
    expect(cr.metadata.finalizers).toContain(TOPIC_FINALIZER);
    expect(await partitionsOf(admin, events)).toBe(2);
    expect(await partitionsOf(admin, tasks)).toBe(2);
    expect(cr.status.topics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: events, partitions: 2, ready: true }),
        expect.objectContaining({ name: tasks, partitions: 2, ready: true }),
      ]),
    );
    const env = envOf(await deployment(ns, 'topics'));
    expect(env.KAFKA_BROKERS.value).toBe(brokers.join(','));
    expect(env.KAFKA_EVENTS_TOPIC.value).toBe(events);

    // Default partition count follows maxReplicas: raising it raises the partitions on the broker.
    await applyCr(ns, 'topics', spec(4));
    await waitFor(
      '4 partitions',
      async () => ((await partitionsOf(admin, events)) === 4 ? true : undefined),
      60_000,
    );
    await waitFor(
      'status.topics at 4 partitions',
      async () => {
        const t = (await getCr(ns, 'topics')).status?.topics ?? [];
        return t.every((x: any) => x.partitions === 4) && t.length === 2 ? t : undefined;
      },
      60_000,
    );

    await kubectl(['-n', ns, 'delete', 'chatbotdeployment', 'topics', '--wait=false']);
    await waitFor(
      'CR gone',
      async () =>
        (await kubectl(['-n', ns, 'get', 'cbd', '-o', 'name'])).includes('/topics\n') ? undefined : true,
      60_000,
    );
    await waitFor(
      'topics deleted on the broker',
      async () => {
        const listed = await admin.listTopics();
        return listed.includes(events) || listed.includes(tasks) ? undefined : true;
      },
      60_000,
    );
  });

  it('Kafka with deletionPolicy Retain keeps the topics after the CR is deleted', async () => {
    const events = `${ns}.kept.events`;
    leftoverTopics.add(events).add(`${ns}.kept.tasks`);
    await applyCr(ns, 'kept', {
      scaling: { minReplicas: 1, maxReplicas: 1 },
      messaging: { kafka: { bootstrapServers: brokers } },
    });
    const cr = await waitFor(
      'TopicsReady=True',
      async () => {
        const c = await getCr(ns, 'kept');
        return condition(c, 'TopicsReady')?.status === 'True' ? c : undefined;
      },
      60_000,
    );
    expect(cr.metadata.finalizers ?? []).not.toContain(TOPIC_FINALIZER);
    await kubectl(['-n', ns, 'delete', 'chatbotdeployment', 'kept', '--wait=true', '--timeout=60s']);
    expect(await partitionsOf(admin, events)).toBe(1);
  });

  it('an unreachable broker is TopicsReady=False/KafkaUnavailable and the Deployment is still reconciled', async () => {
    const port = await closedPort();
    await applyCr(ns, 'nokafka', {
      scaling: { minReplicas: 1, maxReplicas: 1 },
      messaging: { kafka: { bootstrapServers: [`127.0.0.1:${port}`] } },
    });
    const cr = await waitReady(ns, 'nokafka');
    const topics = await waitFor(
      'TopicsReady=False',
      async () => {
        const c = condition(await getCr(ns, 'nokafka'), 'TopicsReady');
        return c?.status === 'False' ? c : undefined;
      },
      60_000,
    );
    expect(topics.reason).toBe('KafkaUnavailable');
    expect(condition(cr, 'Ready')?.status).toBe('True');
    expect(envOf(await deployment(ns, 'nokafka')).KAFKA_BROKERS.value).toBe(`127.0.0.1:${port}`);
    // Its retries would write status later; the steady-state test below must not see them.
    await kubectl(['-n', ns, 'delete', 'chatbotdeployment', 'nokafka', '--wait=true', '--timeout=60s']);
  });

  it('a broker outage: TopicsReady=False/KafkaUnavailable, the bot keeps being reconciled, then recovers', async () => {
    leftoverTopics.add(`${ns}.outage.events`).add(`${ns}.outage.tasks`);
    await applyCr(ns, 'outage', {
      scaling: { minReplicas: 1, maxReplicas: 1 },
      messaging: { kafka: { bootstrapServers: brokers } },
    });
    await waitFor('TopicsReady=True', async () => topicsReady(ns, 'outage', 'True'), 60_000);
    try {
      await kafkaBroker('stop');
      // An unrelated spec change during the outage must still reach the bot Deployment.
      await kubectl([
        '-n',
        ns,
        'patch',
        'chatbotdeployment',
        'outage',
        '--type=merge',
        '-p',
        '{"spec":{"runtime":{"logLevel":"debug"}}}',
      ]);
      const down = await waitFor('TopicsReady=False', async () => topicsReady(ns, 'outage', 'False'), 60_000);
      expect(down.reason).toBe('KafkaUnavailable');
      // The runtime settings reach the bot pods through the <name>-runtime ConfigMap (envFrom).
      await waitFor(
        'LOG_LEVEL=debug in the runtime ConfigMap',
        async () => {
          const cm = await kubectlJson(['-n', ns, 'get', 'configmap', 'outage-runtime']);
          return cm.data?.LOG_LEVEL === 'debug' ? true : undefined;
        },
        60_000,
      );
      // waitReady: Ready=True at the patched generation, i.e. the outage did not block the reconcile.
      const cr = await waitReady(ns, 'outage', 60_000);
      expect(condition(cr, 'Ready')?.status).toBe('True');
      expect(condition(cr, 'TopicsReady')?.status).toBe('False');
    } finally {
      // Always bring the shared broker back, whatever failed above.
      await kafkaBroker('start');
    }
    // The unavailable backoff starts at 5 s and is capped at 60 s: recovery is seen within that.
    const up = await waitFor('TopicsReady=True again', async () => topicsReady(ns, 'outage', 'True'), 90_000);
    expect(up.reason).not.toBe('KafkaUnavailable');
    expect(envOf(await deployment(ns, 'outage')).KAFKA_BROKERS.value).toBe(brokers.join(','));
    await kubectl(['-n', ns, 'delete', 'chatbotdeployment', 'outage', '--wait=true', '--timeout=60s']);
  }, 300_000);

  it('issues no writes in steady state', async () => {
    // Ready fleets with Redis ready and topics settled (the previous tests' CRs still exist).
    await waitFor(
      'managed RedisReady and external Ready',
      async () => {
        const a = condition(await getCr(ns, 'managed'), 'RedisReady')?.status === 'True';
        const b = condition(await getCr(ns, 'external'), 'Ready')?.status === 'True';
        return a && b ? true : undefined;
      },
      60_000,
    );
    await applyCr(ns, 'steady', {
      scaling: { minReplicas: 1, maxReplicas: 1 },
      messaging: { kafka: { bootstrapServers: brokers } },
    });
    leftoverTopics.add(`${ns}.steady.events`).add(`${ns}.steady.tasks`);
    await waitFor(
      'steady settled',
      async () => {
        const c = await getCr(ns, 'steady');
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
    const before = await reconcileWrites(operator.registry);
    expect(before).toBeGreaterThan(0); // the counter does see this operator's writes
    for (let i = 0; i < 3; i++) {
      await kubectl(['-n', ns, 'label', 'cbd', 'steady', `touch=${i}`, '--overwrite']);
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(await reconcileWrites(operator.registry)).toBe(before);
  });

  it('switching managed -> external prunes the Redis objects, keeps the password Secret, and says so', async () => {
    await applyCr(ns, 'switch', { scaling: { minReplicas: 1, maxReplicas: 1 } });
    await waitReady(ns, 'switch');
    const names = ['statefulset/switch-redis', 'service/switch-redis', 'service/switch-redis-headless'];
    for (const n of [...names, 'pdb/switch-redis']) await kubectlJson(['-n', ns, 'get', n]);
    const deletesBefore = await metricValue(operator.registry, 'chatfleet_operator_kube_writes_total', {
      verb: 'delete',
    });
    // An unrelated object carrying the same labels but not controlled by the CR must survive.
    await kubectl(
      ['-n', ns, 'apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
          name: 'switch-redis-mine',
          namespace: ns,
          labels: {
            'app.kubernetes.io/name': 'redis',
            'app.kubernetes.io/instance': 'switch',
            'app.kubernetes.io/component': 'sessions',
          },
        },
        spec: { ports: [{ port: 6379 }], selector: { app: 'nothing' } },
      }),
    );

    await applyCr(ns, 'switch', {
      scaling: { minReplicas: 1, maxReplicas: 1 },
      sessions: { redis: { mode: 'external', secretRef: { name: 'user-redis' } } },
    });
    await waitFor(
      'managed Redis objects pruned',
      async () => {
        const left = await objectNames(ns, 'statefulsets,services,pdb');
        return left.some((n) => n.endsWith('/switch-redis') || n.endsWith('/switch-redis-headless'))
          ? undefined
          : left;
      },
      60_000,
    );
    const left = await objectNames(ns, 'statefulsets,services,pdb,secrets');
    expect(left).toEqual(
      expect.arrayContaining([
        'service/switch-redis-mine',
        'secret/switch-redis-auth',
        'service/switch', // the bot's own Service and PDB are not Redis objects
        'poddisruptionbudget.policy/switch',
      ]),
    );
    expect(envOf(await deployment(ns, 'switch')).REDIS_URL.valueFrom.secretKeyRef.name).toBe('user-redis');
    const events = await kubectl([
      '-n',
      ns,
      'get',
      'events.events.k8s.io',
      '--field-selector',
      'regarding.name=switch,reason=RedisPruned',
      '-o',
      'jsonpath={.items[*].note}',
    ]);
    expect(events).toContain('StatefulSet switch-redis');
    expect(events).toContain('PodDisruptionBudget switch-redis');
    const deletesAfter = await metricValue(operator.registry, 'chatfleet_operator_kube_writes_total', {
      verb: 'delete',
    });
    expect(deletesAfter - deletesBefore).toBe(4);
  });
});
