import { describe, expect, it } from '@jest/globals';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { Service } from 'kubernetes-models/v1/Service';
import type { RedisSpecInput } from '../../api/index.js';
import { testCbd } from '../fixtures.js';
import type { ChatbotDeployment, RedisShardStatus } from '../types.js';
import { redisArgs } from './container.js';
import { desiredRedisObjects } from './desired.js';
import { toShardStatus } from './cluster.js';
import { effectiveShardCount, validateExternalRedisSecret, validateRedis } from './validate.js';

function cbdOf(redis?: RedisSpecInput, shards?: RedisShardStatus[]): ChatbotDeployment {
  return testCbd({ ...(redis ? { redis } : {}), ...(shards ? { status: { redis: { shards } } } : {}) });
}

const kinds = (objs: { kind?: string; metadata?: { name?: string } }[]) =>
  objs.map((o) => `${o.kind}/${o.metadata?.name}`);

const statefulSets = (objs: ReturnType<typeof desiredRedisObjects>) =>
  objs.filter((o) => o instanceof StatefulSet);

/** A status.redis.shards entry exactly as the CRD stores it (slots = served ranges, "" = none). */
const shardStatus = (index: number, slots: string): RedisShardStatus => ({
  index,
  primary: `shard-${index}-0`,
  replicas: 1,
  slots,
  ready: slots !== '',
  message: 'test',
});

describe('desiredRedisObjects', () => {
  it('standalone: one-pod StatefulSet, headless + client Service, PDB', () => {
    const objs = desiredRedisObjects(cbdOf());
    expect(kinds(objs)).toEqual([
      'StatefulSet/support-redis',
      'Service/support-redis-headless',
      'Service/support-redis',
      'PodDisruptionBudget/support-redis',
    ]);
    expect(statefulSets(objs)[0]!.spec!.replicas).toBe(1);
    const headless = objs[1] as Service;
    expect(headless.spec!.clusterIP).toBe('None');
    expect((objs[3] as PodDisruptionBudget).spec!.maxUnavailable).toBe(1);
  });

  it('labels and controller ownerReference on every object', () => {
    for (const obj of desiredRedisObjects(cbdOf({ topology: 'cluster', shards: 3 }))) {
      expect(obj.metadata!.labels).toMatchObject({
        'app.kubernetes.io/name': 'redis',
        'app.kubernetes.io/instance': 'support',
        'app.kubernetes.io/managed-by': 'chatfleet-operator',
        'app.kubernetes.io/component': 'sessions',
      });
      expect(obj.metadata!.ownerReferences).toEqual([
        {
          apiVersion: 'chatfleet.io/v1alpha1',
          kind: 'ChatbotDeployment',
          name: 'support',
          uid: 'uid-1',
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      expect(obj.metadata!.namespace).toBe('bots');
    }
  });

  it('uses an owner passed by the caller', () => {
    const owner = { apiVersion: 'x/v1', kind: 'X', name: 'o', uid: 'u2', controller: true };
    expect(desiredRedisObjects(cbdOf(), owner)[0]!.metadata!.ownerReferences).toEqual([owner]);
  });

  it('restricted security context on pod and container', () => {
    const pod = statefulSets(desiredRedisObjects(cbdOf()))[0]!.spec!.template.spec!;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 999,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const c = pod.containers[0]!;
    expect(c.securityContext).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.readinessProbe?.exec?.command).toBeDefined();
    expect(c.livenessProbe?.tcpSocket?.port).toBe(6379);
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it('password comes from the generated Secret, never a literal', () => {
    const c = statefulSets(desiredRedisObjects(cbdOf()))[0]!.spec!.template.spec!.containers[0]!;
    const pw = c.env!.find((e) => e.name === 'REDIS_PASSWORD')!;
    expect(pw.value).toBeUndefined();
    expect(pw.valueFrom!.secretKeyRef).toMatchObject({ name: 'support-redis-auth', key: 'password' });
    expect(c.args).toContain('$(REDIS_PASSWORD)');
  });

  it('no storage -> emptyDir and no persistence; storage -> volumeClaimTemplates + AOF', () => {
    const ephemeral = statefulSets(desiredRedisObjects(cbdOf()))[0]!.spec!;
    expect(ephemeral.volumeClaimTemplates).toBeUndefined();
    expect(ephemeral.template.spec!.volumes).toEqual([{ name: 'data', emptyDir: {} }]);
    expect(redisArgs(cbdOf().spec.sessions.redis)).toEqual(
      expect.arrayContaining(['--appendonly', 'no', '--save', '']),
    );

    const storage = { size: '5Gi', storageClassName: 'fast' };
    const persistent = statefulSets(desiredRedisObjects(cbdOf({ storage })))[0]!.spec!;
    expect(persistent.template.spec!.volumes).toEqual([]);
    expect(persistent.volumeClaimTemplates![0]!.spec).toMatchObject({
      storageClassName: 'fast',
      resources: { requests: { storage: '5Gi' } },
    });
    expect(redisArgs(cbdOf({ storage }).spec.sessions.redis)).toEqual(
      expect.arrayContaining(['--appendonly', 'yes']),
    );
  });

  it('cluster: one StatefulSet of 1+replicasPerShard pods and one PDB per shard, cluster-enabled', () => {
    const objs = desiredRedisObjects(cbdOf({ topology: 'cluster', shards: 4, replicasPerShard: 2 }));
    const sts = statefulSets(objs);
    expect(sts.map((s) => s.metadata!.name)).toEqual([0, 1, 2, 3].map((i) => `support-redis-shard-${i}`));
    expect(sts.map((s) => s.spec!.replicas)).toEqual([3, 3, 3, 3]);
    expect(sts[2]!.spec!.selector.matchLabels).toMatchObject({ 'chatfleet.io/redis-shard': '2' });
    expect(sts[0]!.spec!.template.spec!.containers[0]!.args).toEqual(
      expect.arrayContaining(['--cluster-enabled', 'yes']),
    );
    expect(objs.filter((o) => o.kind === 'PodDisruptionBudget')).toHaveLength(4);
  });

  it("Redis pods take spec.sessions.redis.placement, never the bots' spec.placement", () => {
    const pool = {
      nodeSelector: { pool: 'chat' },
      tolerations: [{ key: 'chat', operator: 'Exists' as const }],
    };
    const podSpec = (c: ChatbotDeployment) => statefulSets(desiredRedisObjects(c))[0]!.spec!.template.spec!;

    const unplaced = podSpec(cbdOf());
    expect(unplaced.nodeSelector).toBeUndefined();
    expect(unplaced.tolerations).toBeUndefined();

    // Editing the bots' placement must not roll the Redis pods.
    const botsOnly = podSpec(testCbd({ spec: { placement: pool } }));
    expect(botsOnly.nodeSelector).toBeUndefined();
    expect(botsOnly.tolerations).toBeUndefined();

    const own = podSpec(cbdOf({ placement: pool }));
    expect(own).toMatchObject(pool);
  });

  it('external mode creates nothing', () => {
    expect(desiredRedisObjects(cbdOf({ mode: 'external', secretRef: { name: 's' } }))).toEqual([]);
  });
});

describe('scale-in keeps draining shards', () => {
  const table: [string, number, RedisShardStatus[], number, string | undefined][] = [
    ['no status yet', 3, [], 3, undefined],
    ['scale-out', 5, [0, 1, 2].map((i) => shardStatus(i, `${i * 5461}-${i * 5461 + 5460}`)), 5, undefined],
    [
      'scale-in: shard 3 kept while it still owns slots',
      3,
      [0, 1, 2, 3].map((i) => shardStatus(i, `${i * 4096}-${i * 4096 + 4095}`)),
      4,
      undefined,
    ],
    [
      'scale-in: a shard left with a single slot is still kept',
      3,
      [...[0, 1, 2].map((i) => shardStatus(i, '0-5460')), shardStatus(3, '16383')],
      4,
      undefined,
    ],
    [
      'drained trailing shard may go',
      3,
      [...[0, 1, 2].map((i) => shardStatus(i, '0-5460')), shardStatus(3, '')],
      3,
      undefined,
    ],
    [
      'an entry whose slots are unknown is kept (never prune on doubt)',
      3,
      [...[0, 1, 2].map((i) => shardStatus(i, '0-5460')), { index: 4 }],
      5,
      undefined,
    ],
  ];
  it.each(table)('%s', (_name, shards, status, kept, reason) => {
    const cbd = cbdOf({ topology: 'cluster', shards }, status);
    expect(effectiveShardCount(cbd)).toBe(kept);
    expect(statefulSets(desiredRedisObjects(cbd))).toHaveLength(kept);
    expect(validateRedis(cbd)?.reason).toBe(reason);
  });

  it('reads the status the component writes: CRD shape, as returned by the API server', () => {
    // After an operator restart only the stored status is known. It holds exactly the CRD's
    // fields (index, primary, replicas:int, slots:string, ready, message); the API server
    // prunes anything else, so effectiveShardCount must work from these fields alone.
    const written = [
      { shard: 0, primary: 'p0', replicas: ['r0'], slots: 5461, slotRanges: ['0-5460'] },
      { shard: 1, primary: 'p1', replicas: ['r1'], slots: 5461, slotRanges: ['5461-10921'] },
      { shard: 2, primary: 'p2', replicas: ['r2'], slots: 5000, slotRanges: ['10922-15921'] },
      { shard: 3, primary: 'p3', replicas: ['r3'], slots: 462, slotRanges: ['15922-16383'] },
    ].map((s) => toShardStatus({ ...s, linkState: 'connected' }));
    const stored = JSON.parse(JSON.stringify(written)) as RedisShardStatus[];
    expect(stored[3]).toEqual({
      index: 3,
      primary: 'p3',
      replicas: 1,
      slots: '15922-16383',
      ready: true,
      message: '462 slots, link connected',
    });
    const cbd = cbdOf({ topology: 'cluster', shards: 3 }, stored);
    expect(effectiveShardCount(cbd)).toBe(4);
    expect(statefulSets(desiredRedisObjects(cbd))).toHaveLength(4);
    const drained = stored.map((s) => (s.index === 3 ? { ...s, slots: '', ready: false } : s));
    expect(effectiveShardCount(cbdOf({ topology: 'cluster', shards: 3 }, drained))).toBe(3);
  });

  it('external without secretRef is invalid', () => {
    expect(validateRedis(cbdOf({ mode: 'external' }))?.reason).toBe('ExternalSecretInvalid');
    expect(validateExternalRedisSecret(['password'])?.reason).toBe('ExternalSecretInvalid');
    expect(validateExternalRedisSecret(['clusterNodes', 'password'])).toBeUndefined();
  });
});

describe('every desired Redis object is valid against the Kubernetes schema', () => {
  const placement = {
    nodeSelector: { pool: 'chat' },
    tolerations: [{ key: 'chat', operator: 'Exists' as const }],
  };
  it.each<[string, RedisSpecInput]>([
    ['standalone', {}],
    ['standalone with storage', { storage: { size: '5Gi', storageClassName: 'fast' } }],
    ['cluster with placement', { topology: 'cluster', shards: 3, replicasPerShard: 1, placement }],
    [
      'cluster with storage and a CPU limit',
      { topology: 'cluster', shards: 3, storage: { size: '1Gi' }, resources: { limits: { cpu: '1' } } },
    ],
  ])('%s', (_what, redis) => {
    const objects = desiredRedisObjects(cbdOf(redis));
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) expect(() => o.validate()).not.toThrow();
  });

  it('a schema violation is caught by validate()', () => {
    const [sts] = statefulSets(desiredRedisObjects(cbdOf()));
    (sts!.spec as unknown as { replicas: string }).replicas = 'one';
    expect(() => sts!.validate()).toThrow();
  });
});
