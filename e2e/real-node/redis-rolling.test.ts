/**
 * Managed Redis Cluster faults and updates through the operator, with real Redis pods on the real
 * node (issue 15): 3 shards x 1 replica, 10,000 keys written first, then
 * (a) a primary's pod deleted: Redis promotes its replica, the operator re-attaches the new pod;
 * (b) a resources change: the operator rolls every pod (OnDelete), replicas first, each primary
 *     after a CLUSTER FAILOVER;
 * (c) another change, with the operator SIGKILLed mid-roll: the new operator resumes the roll;
 * (d) `kill 1` in a primary's container (a clean restart in the same pod, no storage): the node
 *     comes back as a new empty node, its replica is promoted, and it is re-attached.
 * After each: every key readable and cluster_state:ok on every node. Heal and roll times are
 * printed for the report. The test process talks to the pods on the node's pod network.
 */
import { expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import {
  CBD_API,
  BOT_IMAGE,
  REDIS_IMAGE,
  adminConfig,
  describeOnRealNode,
  describePods,
  eventually,
  onRealNode,
  realNodeChatbot,
  realNodeStatus,
  withLocalOperator,
} from './support.js';
import { kubectlPath, testenvVar } from '../support/env.js';

const status = await realNodeStatus();
const suffix = randomUUID().slice(0, 8);
const KEYS = 10_000;
const FLEET = 'roll';
const key = (i: number): string => `h5roll:${i}`;

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface Cbd {
  metadata: { generation?: number };
  status?: {
    observedGeneration?: number;
    conditions?: Condition[];
    redis?: { shards?: { index: number; primary?: string; replicas?: number; slots?: string }[] };
  };
}

function redisSpec(cpu: string): Record<string, unknown> {
  return {
    image: REDIS_IMAGE,
    topology: 'cluster',
    shards: 3,
    replicasPerShard: 1,
    resources: { requests: { cpu, memory: '32Mi' }, limits: { memory: '128Mi' } },
    placement: onRealNode(),
  };
}

describeOnRealNode(
  status,
  'real node: managed Redis Cluster heals a deleted primary and rolls updates without losing keys',
  (nodeName) => {
    const kc = adminConfig();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const eventsApi = kc.makeApiClient(k8s.EventsV1Api);
    const namespace = `rn-h5roll-${suffix}`;
    const selector = `app.kubernetes.io/name=redis,app.kubernetes.io/instance=${FLEET}`;
    const operator = withLocalOperator(core, nodeName, namespace, [BOT_IMAGE, REDIS_IMAGE]);
    let password = '';

    const getCbd = async (): Promise<Cbd> =>
      (await custom.getNamespacedCustomObject({ ...CBD_API, namespace, name: FLEET })) as Cbd;
    const redisReady = (cr: Cbd): Condition | undefined =>
      cr.status?.conditions?.find((c) => c.type === 'RedisReady');

    async function redisPods(): Promise<k8s.V1Pod[]> {
      const pods = await core.listNamespacedPod({ namespace, labelSelector: selector });
      return pods.items.filter((p) => !p.metadata?.deletionTimestamp && p.status?.podIP);
    }

    function client(ip: string): Redis {
      return new Redis({
        host: ip,
        port: 6379,
        password,
        lazyConnect: true,
        connectTimeout: 2000,
        maxRetriesPerRequest: 1,
      });
    }

    /** The generated password Secret (it exists before the pods start: they read it). */
    async function readPassword(): Promise<string> {
      const secret = await core.readNamespacedSecret({ namespace, name: `${FLEET}-redis-auth` });
      return Buffer.from(secret.data?.password ?? '', 'base64').toString('utf8');
    }

    async function clusterOkEverywhere(): Promise<boolean> {
      password ||= await readPassword();
      const pods = await redisPods();
      if (pods.length !== 6) return false;
      const states = await Promise.all(
        pods.map(async (p) => {
          const r = client(p.status?.podIP ?? '');
          try {
            await r.connect();
            return String(await r.call('CLUSTER', 'INFO')).includes('cluster_state:ok');
          } catch {
            return false;
          } finally {
            r.disconnect();
          }
        }),
      );
      return states.every(Boolean);
    }

    async function withCluster<T>(fn: (c: Cluster) => Promise<T>): Promise<T> {
      const seeds = (await redisPods()).map((p) => ({ host: p.status?.podIP ?? '', port: 6379 }));
      const c = new Cluster(seeds, {
        redisOptions: { password, connectTimeout: 2000 },
        slotsRefreshTimeout: 3000,
        clusterRetryStrategy: (times) => (times > 5 ? null : 500),
      });
      try {
        return await fn(c);
      } finally {
        c.disconnect();
      }
    }

    async function readable(): Promise<number> {
      return withCluster(async (c) => {
        let ok = 0;
        for (let start = 0; start < KEYS; start += 500) {
          const batch = Array.from({ length: Math.min(500, KEYS - start) }, (_, j) => start + j);
          const values = await Promise.all(batch.map((i) => c.get(key(i))));
          ok += values.filter((v, j) => v === `v${batch[j]}`).length;
        }
        return ok;
      });
    }

    /** RedisReady True with the steady message, and cluster_state:ok on all 6 nodes; logs each new message. */
    async function healthy(
      what: string,
      extra: (cr: Cbd) => boolean = () => true,
      ms = 600_000,
    ): Promise<Cbd> {
      let lastMessage = '';
      return eventually(
        async () => {
          const cr = await getCbd();
          const c = redisReady(cr);
          const line = `${c?.reason ?? ''}: ${c?.message ?? ''}`;
          if (line !== lastMessage) process.stdout.write(`[${what}] RedisReady ${c?.status} ${line}\n`);
          lastMessage = line;
          const steady =
            c?.status === 'True' && /^3 shards, 16384 slots covered, cluster_state:ok/.test(c.message);
          return steady && extra(cr) && (await clusterOkEverywhere()) ? cr : undefined;
        },
        what,
        ms,
      ).catch(async (err: unknown) => {
        throw new Error(
          `${String(err)}\n${await describePods(core, namespace)}\n${operator.operator()?.output() ?? ''}`,
          {
            cause: err,
          },
        );
      });
    }

    /** Every Redis pod runs its StatefulSet's update revision, which differs from `before`. */
    async function rolled(before: Map<string, string>): Promise<boolean> {
      const sets = (await apps.listNamespacedStatefulSet({ namespace, labelSelector: selector })).items;
      const revisions = new Map(sets.map((s) => [s.metadata?.uid ?? '', s.status?.updateRevision ?? '']));
      if (sets.some((s) => before.get(s.metadata?.name ?? '') === s.status?.updateRevision)) return false;
      const pods = await redisPods();
      return (
        pods.length === 6 &&
        pods.every((p) => {
          const owner = p.metadata?.ownerReferences?.find((r) => r.controller)?.uid ?? '';
          return p.metadata?.labels?.['controller-revision-hash'] === revisions.get(owner);
        })
      );
    }

    /** How many pods already run a revision newer than `before` (their StatefulSet's update revision). */
    async function podsUpdated(before: Map<string, string>): Promise<number> {
      const sets = (await apps.listNamespacedStatefulSet({ namespace, labelSelector: selector })).items;
      const fresh = new Map(
        sets
          .filter((s) => before.get(s.metadata?.name ?? '') !== s.status?.updateRevision)
          .map((s) => [s.metadata?.uid ?? '', s.status?.updateRevision ?? '']),
      );
      const pods = await redisPods();
      return pods.filter((p) => {
        const owner = p.metadata?.ownerReferences?.find((r) => r.controller)?.uid ?? '';
        return fresh.has(owner) && p.metadata?.labels?.['controller-revision-hash'] === fresh.get(owner);
      }).length;
    }

    async function updateRevisions(): Promise<Map<string, string>> {
      const sets = (await apps.listNamespacedStatefulSet({ namespace, labelSelector: selector })).items;
      return new Map(sets.map((s) => [s.metadata?.name ?? '', s.status?.updateRevision ?? '']));
    }

    async function eventCount(reason: string): Promise<number> {
      const list = await eventsApi.listNamespacedEvent({ namespace });
      return list.items.filter((e) => e.reason === reason).length;
    }

    async function patchCpu(cpu: string): Promise<void> {
      await custom.patchNamespacedCustomObject(
        {
          ...CBD_API,
          namespace,
          name: FLEET,
          body: { spec: { sessions: { redis: { resources: redisSpec(cpu).resources } } } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    }

    it('bootstraps 3 x 1 and stores 10,000 keys', async () => {
      const body = realNodeChatbot(FLEET, `v-${suffix}`, { sessions: { redis: redisSpec('50m') } });
      await custom.createNamespacedCustomObject({ ...CBD_API, namespace, body });
      const cr = await healthy('bootstrap');
      expect(cr.status?.redis?.shards?.map((s) => s.replicas)).toEqual([1, 1, 1]);
      password = await readPassword();
      await withCluster(async (c) => {
        for (let start = 0; start < KEYS; start += 500) {
          const batch = Array.from({ length: Math.min(500, KEYS - start) }, (_, j) => start + j);
          await Promise.all(batch.map((i) => c.set(key(i), `v${i}`)));
        }
      });
      expect(await readable()).toBe(KEYS);
    }, 700_000);

    it('(a) deleting a primary pod: its replica takes over, the new pod is re-attached, every key readable', async () => {
      const before = await getCbd();
      const primary = before.status?.redis?.shards?.find((s) => s.index === 0)?.primary ?? '';
      expect(primary).toMatch(/^roll-redis-shard-0-[01]$/);
      const started = Date.now();
      await core.deleteNamespacedPod({ namespace, name: primary });
      const cr = await healthy('delete primary', (c) => {
        const shard0 = c.status?.redis?.shards?.find((s) => s.index === 0);
        return shard0?.primary !== undefined && shard0.primary !== primary && shard0.replicas === 1;
      });
      const healMs = Date.now() - started;
      process.stdout.write(`(a) deleted primary ${primary}: healed in ${healMs} ms\n`);
      expect(cr.status?.redis?.shards?.map((s) => s.replicas)).toEqual([1, 1, 1]);
      expect(await readable()).toBe(KEYS);
    }, 700_000);

    it('(b) a resources change rolls every Redis pod, replicas first, primaries after a failover; every key readable', async () => {
      const revisions = await updateRevisions();
      const restartsBefore = await eventCount('RedisPodRestarted');
      const failoversBefore = await eventCount('RedisFailover');
      const started = Date.now();
      await patchCpu('60m');
      await eventually(
        async () => ((await rolled(revisions)) ? true : undefined),
        'every pod rolled',
        600_000,
      );
      await healthy('after roll');
      const rollMs = Date.now() - started;
      process.stdout.write(`(b) resources change: 6 pods rolled in ${rollMs} ms\n`);
      expect((await eventCount('RedisPodRestarted')) - restartsBefore).toBeGreaterThanOrEqual(6);
      expect((await eventCount('RedisFailover')) - failoversBefore).toBeGreaterThanOrEqual(3);
      expect(await readable()).toBe(KEYS);
    }, 900_000);

    it('(c) the operator SIGKILLed mid-roll: the new one resumes the roll from the observed state', async () => {
      const revisions = await updateRevisions();
      const started = Date.now();
      await patchCpu('70m');
      // Kill it once the roll has visibly started: two pods already run the new revision.
      let last = '';
      await eventually(
        async () => {
          const c = redisReady(await getCbd());
          const line = `${c?.reason ?? ''}: ${c?.message ?? ''}`;
          if (line !== last) process.stdout.write(`[mid-roll] RedisReady ${c?.status} ${line}\n`);
          last = line;
          return (await podsUpdated(revisions)) >= 2 ? true : undefined;
        },
        'two pods rolled to the new revision',
        300_000,
      );
      await operator.restart('SIGKILL');
      await eventually(
        async () => ((await rolled(revisions)) ? true : undefined),
        'every pod rolled',
        600_000,
      );
      await healthy('after resumed roll');
      process.stdout.write(`(c) roll with operator killed mid-way: done in ${Date.now() - started} ms\n`);
      expect(await readable()).toBe(KEYS);
    }, 900_000);

    it("(d) kill 1 in a primary's container: its replica takes over, the restarted node is re-attached, every key readable", async () => {
      const before = await getCbd();
      const primary = before.status?.redis?.shards?.find((s) => s.index === 1)?.primary ?? '';
      expect(primary).toMatch(/^roll-redis-shard-1-[01]$/);
      const started = Date.now();
      await promisify(execFile)(kubectlPath(), [
        '--kubeconfig',
        testenvVar('KUBECONFIG'),
        '-n',
        namespace,
        'exec',
        primary,
        '-c',
        'redis',
        '--',
        'sh',
        '-c',
        'kill 1',
      ]);
      const cr = await healthy('kill 1', (c) => {
        const shard1 = c.status?.redis?.shards?.find((s) => s.index === 1);
        return shard1?.primary !== undefined && shard1.primary !== primary && shard1.replicas === 1;
      });
      process.stdout.write(`(d) kill 1 in primary ${primary}: healed in ${Date.now() - started} ms\n`);
      expect(cr.status?.redis?.shards?.map((s) => s.replicas)).toEqual([1, 1, 1]);
      expect(await readable()).toBe(KEYS);
    }, 700_000);
  },
);
