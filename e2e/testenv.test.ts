/**
 * Smoke tests proving every test-environment component is the real thing: the API server
 * enforces RBAC and Pod Security, controllers and the scheduler roll Deployments out onto kwok
 * nodes across zones, and Redis, Redis Cluster, Kafka and Helm answer as themselves.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { redisClusterNodes, testenvVar } from './support/env.js';
import { createRedisCluster } from './support/redis-cluster.js';

const run = promisify(execFile);
const suffix = randomUUID().slice(0, 8);
const namespace = `smoke-${suffix}`;

function adminConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(testenvVar('KUBECONFIG'));
  return kc;
}

async function eventually<T>(probe: () => Promise<T | undefined>, what: string, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('Kubernetes control plane', () => {
  const kc = adminConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);

  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: namespace } } });
  });
  afterAll(async () => {
    await core.deleteNamespace({ name: namespace });
  });

  it('reports the pinned Kubernetes version', async () => {
    const version = await kc.makeApiClient(k8s.VersionApi).getCode();
    expect(version.gitVersion).toMatch(/^v1\.36\./);
  });

  it('rolls a 3-replica Deployment out onto kwok nodes in 3 different zones', async () => {
    const labels = { app: 'smoke' };
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'smoke' },
        spec: {
          replicas: 3,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              containers: [{ name: 'app', image: 'registry.invalid/smoke:1' }],
              topologySpreadConstraints: [
                {
                  maxSkew: 1,
                  topologyKey: 'topology.kubernetes.io/zone',
                  whenUnsatisfiable: 'DoNotSchedule',
                  labelSelector: { matchLabels: labels },
                },
              ],
            },
          },
        },
      },
    });
    await eventually(async () => {
      const d = await apps.readNamespacedDeployment({ name: 'smoke', namespace });
      return d.status?.availableReplicas === 3 ? d : undefined;
    }, 'the Deployment to become Available');

    const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=smoke' });
    const nodes = await core.listNode({ labelSelector: 'type=kwok' });
    const zoneOf = new Map(
      nodes.items.map((n) => [n.metadata!.name!, n.metadata!.labels!['topology.kubernetes.io/zone']]),
    );
    const zones = new Set(pods.items.map((p) => zoneOf.get(p.spec!.nodeName!)));
    expect(
      pods.items.every((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')),
    ).toBe(true);
    expect(zones.size).toBe(3);
  });

  it('denies an unprivileged ServiceAccount through RBAC', async () => {
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'nobody' } } });
    const token = await core.createNamespacedServiceAccountToken({
      name: 'nobody',
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const kcUser = adminConfig();
    const cluster = kcUser.getCurrentCluster()!;
    const limited = new k8s.KubeConfig();
    limited.loadFromOptions({
      clusters: [cluster],
      users: [{ name: 'nobody', token: token.status!.token }],
      contexts: [{ name: 'nobody', cluster: cluster.name, user: 'nobody' }],
      currentContext: 'nobody',
    });
    const asNobody = limited.makeApiClient(k8s.CoreV1Api);
    const error = await asNobody.listNamespacedSecret({ namespace }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(k8s.ApiException);
    expect((error as k8s.ApiException<unknown>).code).toBe(403);
  });

  it('rejects a privileged pod in a namespace that enforces the restricted profile', async () => {
    const restricted = `${namespace}-restricted`;
    await core.createNamespace({
      body: {
        metadata: { name: restricted, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
      },
    });
    try {
      const error = await core
        .createNamespacedPod({
          namespace: restricted,
          body: {
            metadata: { name: 'privileged' },
            spec: { containers: [{ name: 'c', image: 'busybox', securityContext: { privileged: true } }] },
          },
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(k8s.ApiException);
      expect((error as k8s.ApiException<unknown>).code).toBe(403);
      const status = JSON.parse(String((error as k8s.ApiException<unknown>).body)) as { message: string };
      expect(status.message).toContain('violates PodSecurity "restricted');
    } finally {
      await core.deleteNamespace({ name: restricted });
    }
  });
});

describe('Redis', () => {
  it('stores and returns a value on the standalone redis-server', async () => {
    const redis = new Redis(testenvVar('REDIS_URL'));
    try {
      await redis.set(`smoke:${suffix}`, 'hello', 'EX', 60);
      expect(await redis.get(`smoke:${suffix}`)).toBe('hello');
      expect(await redis.info('server')).toMatch(/redis_version:/);
    } finally {
      redis.disconnect();
    }
  });

  it('serves every slot across the 6 cluster nodes once the cluster is created', async () => {
    const nodes = redisClusterNodes();
    expect(nodes).toHaveLength(6);
    await createRedisCluster(nodes);
    const cluster = new Cluster(nodes);
    try {
      const slots = await cluster.cluster('SLOTS');
      const covered = slots.reduce((sum, [start, end]) => sum + (end - start + 1), 0);
      const servingPorts = new Set(slots.flatMap(([, , ...hosts]) => hosts.map((h) => h[1])));
      expect(covered).toBe(16384);
      expect(servingPorts.size).toBe(6);
      for (let i = 0; i < 50; i++) await cluster.set(`smoke:${suffix}:${i}`, String(i));
      expect(await cluster.get(`smoke:${suffix}:42`)).toBe('42');
    } finally {
      cluster.disconnect();
    }
  });
});

describe('Kafka', () => {
  it('creates a topic, produces, and consumes in a consumer group', async () => {
    const kafka = new Kafka({
      clientId: 'smoke',
      brokers: testenvVar('KAFKA_BROKERS').split(','),
      logLevel: logLevel.NOTHING,
    });
    const topic = `smoke-${suffix}`;
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer({ idempotent: true });
    const consumer = kafka.consumer({ groupId: `smoke-${suffix}` });
    try {
      await admin.createTopics({
        topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
        waitForLeaders: true,
      });
      expect(await admin.listTopics()).toContain(topic);
      await producer.connect();
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `m${i}` })),
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const seen = new Set<string>();
      await consumer.run({
        eachMessage: async ({ message }) => {
          seen.add(message.value!.toString());
        },
      });
      await eventually(async () => (seen.size === 10 ? true : undefined), 'all 10 messages');
      const offsets = await admin.fetchOffsets({ groupId: `smoke-${suffix}`, topics: [topic] });
      expect(offsets[0]!.partitions).toHaveLength(3);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});

describe('Kafka SASL_PLAINTEXT listener', () => {
  const brokers = (): string[] => testenvVar('KAFKA_SASL_BROKERS').split(',');

  /** Connects an admin client with these credentials and lists topics; the error's name when refused. */
  async function login(sasl: SASLOptions) {
    const admin = new Kafka({
      clientId: 'smoke-sasl',
      brokers: brokers(),
      sasl,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      retry: { retries: 0 },
    }).admin();
    try {
      await admin.connect();
      await admin.listTopics();
      return 'ok';
    } catch (err) {
      return (err as Error).name;
    } finally {
      await admin.disconnect();
    }
  }

  const scram = () => ({
    mechanism: 'scram-sha-512' as const,
    username: testenvVar('KAFKA_SASL_SCRAM_USER'),
    password: testenvVar('KAFKA_SASL_SCRAM_PASSWORD'),
  });
  const plain = () => ({
    mechanism: 'plain' as const,
    username: testenvVar('KAFKA_SASL_PLAIN_USER'),
    password: testenvVar('KAFKA_SASL_PLAIN_PASSWORD'),
  });

  it('authenticates the SCRAM-SHA-512 and PLAIN users and rejects a wrong password', async () => {
    expect(await login(scram())).toBe('ok');
    expect(await login(plain())).toBe('ok');
    expect(await login({ ...scram(), password: `${scram().password}x` })).toBe(
      'KafkaJSSASLAuthenticationError',
    );
    expect(await login({ ...plain(), password: `${plain().password}x` })).toBe(
      'KafkaJSSASLAuthenticationError',
    );
  });

  it('kafka.sh add-user creates a SCRAM user that logs in; remove-user revokes it', async () => {
    const user = { mechanism: 'scram-sha-512' as const, username: `smoke-${suffix}`, password: randomUUID() };
    const kafkaSh = (...args: string[]) => run('bash', ['testenv/kafka.sh', ...args], { timeout: 120_000 });
    await kafkaSh('add-user', user.username, user.password);
    try {
      await eventually(
        async () => ((await login(user)) === 'ok' ? true : undefined),
        'the new user logs in',
        20_000,
      );
    } finally {
      await kafkaSh('remove-user', user.username);
    }
    await eventually(
      async () => ((await login(user)) === 'KafkaJSSASLAuthenticationError' ? true : undefined),
      'the removed user is refused',
      20_000,
    );
  }, 120_000);
});

describe('Helm', () => {
  it('runs the pinned helm binary', async () => {
    const { stdout } = await run(testenvVar('HELM'), ['version', '--short']);
    expect(stdout).toMatch(/^v3\./);
  });
});
