/**
 * Managed Redis keeps its sessions (issue 15), with real Redis pods on the real node and the operator
 * as a local process (pod IPs on the node's bridge are reachable from here):
 * - cluster 3 shards x 1 replica (the default) without storage: 10,000 sessions in the fleet's key
 *   format, then `kill 1` in one primary's container; after healing every session is readable,
 *   every node says cluster_state:ok and every shard has its replica again. The heal time is printed.
 * - the same cluster: deleting another shard's primary pod; the same checks.
 * - the same cluster: writing twice the memory limit evicts answer-cache entries, never a session,
 *   and no Redis container restarts (no OOMKill); status.redis.shards reports used vs max memory.
 * - standalone without storage: Degraded=True/NoRedundancy, and Ready means serving.
 * Standalone with storage is not here: the test cluster has no StorageClass or PersistentVolume.
 */
import { expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { Cluster, Redis } from 'ioredis';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { loadConfig } from '../../bot-runtime/config.js';
import { FleetKeys } from '../../bot-runtime/sessions/keys.js';
import { kubectlPath, testenvVar } from '../support/env.js';
import {
  SESSION_TTL,
  clusterClient,
  inBatches,
  incompleteSessions,
  readableSessions,
  writeSessions,
} from './redis-support.js';
import {
  BOT_IMAGE,
  CBD_API,
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

const run = promisify(execFile);
const status = await realNodeStatus();
const suffix = randomUUID().slice(0, 8);
const SESSIONS = 10_000;
const MiB = 2 ** 20;
/** Per Redis container: maxmemory is then 96 - 32 = 64 MiB (docs/dataplane.md, Memory). */
const REDIS_LIMIT_MIB = 96;
/** spec.sessions.ttlSeconds' default, and the bot runtime's answer-cache TTL derived from it. */
const CACHE_TTL = loadConfig({ SESSION_TTL_SECONDS: String(SESSION_TTL) }).answerCacheTtlSeconds;

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface ShardStatus {
  index: number;
  primary?: string;
  replicas?: number;
  usedMemoryBytes?: number;
  maxMemoryBytes?: number;
}
interface Cbd {
  metadata: { generation?: number };
  status?: { observedGeneration?: number; conditions?: Condition[]; redis?: { shards?: ShardStatus[] } };
}

/** Runs `fn` over `items`, `width` at a time. */

describeOnRealNode(
  status,
  'real node: managed Redis keeps sessions through restarts and memory pressure',
  (nodeName) => {
    const kc = adminConfig();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const namespace = `h4redis-${suffix}`;
    withLocalOperator(core, nodeName, namespace, [BOT_IMAGE, REDIS_IMAGE]);

    const getCbd = async (name: string): Promise<Cbd> =>
      (await custom.getNamespacedCustomObject({ ...CBD_API, namespace, name })) as Cbd;
    const conditionOf = (cr: Cbd, type: string): Condition | undefined =>
      cr.status?.conditions?.find((c) => c.type === type);

    function chatbot(name: string, redis: Record<string, unknown>): ReturnType<typeof realNodeChatbot> {
      return realNodeChatbot(name, `v-${suffix}`, {
        sessions: {
          ttlSeconds: SESSION_TTL,
          redis: {
            image: REDIS_IMAGE,
            resources: {
              requests: { cpu: '50m', memory: '32Mi' },
              limits: { memory: `${REDIS_LIMIT_MIB}Mi` },
            },
            placement: onRealNode(),
            ...redis,
          },
        },
      });
    }

    async function redisReady(name: string, message: RegExp, ms = 300_000): Promise<Cbd> {
      let last: Cbd | undefined;
      return eventually(
        async () => {
          last = await getCbd(name);
          const redis = conditionOf(last, 'RedisReady');
          const current = last.status?.observedGeneration === last.metadata.generation;
          return current && redis?.status === 'True' && message.test(redis.message) ? last : undefined;
        },
        `${name}: RedisReady (${String(message)})`,
        ms,
      ).catch(async (err: unknown) => {
        const conditions = JSON.stringify(last?.status?.conditions);
        throw new Error(`${String(err)}\nconditions: ${conditions}\n${await describePods(core, namespace)}`, {
          cause: err,
        });
      });
    }

    async function redisPods(cr: string): Promise<k8s.V1Pod[]> {
      const selector = `app.kubernetes.io/name=redis,app.kubernetes.io/instance=${cr}`;
      return (await core.listNamespacedPod({ namespace, labelSelector: selector })).items.filter(
        (p) => !p.metadata?.deletionTimestamp,
      );
    }

    const isReady = (p: k8s.V1Pod): boolean =>
      p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    const restarts = (p: k8s.V1Pod): number => p.status?.containerStatuses?.[0]?.restartCount ?? 0;

    async function password(cr: string): Promise<string> {
      const secret = await core.readNamespacedSecret({ name: `${cr}-redis-auth`, namespace });
      return Buffer.from(secret.data?.password ?? '', 'base64').toString('utf8');
    }

    /** One client per pod IP (the cluster's own view of each node). */
    async function perNode<R>(
      cr: string,
      pass: string,
      fn: (r: Redis, pod: k8s.V1Pod) => Promise<R>,
    ): Promise<R[]> {
      const pods = await redisPods(cr);
      return Promise.all(
        pods.map(async (pod) => {
          const r = new Redis({
            host: pod.status?.podIP ?? '',
            port: 6379,
            password: pass,
            lazyConnect: true,
            connectTimeout: 2000,
            commandTimeout: 3000,
            maxRetriesPerRequest: 0,
            retryStrategy: () => null,
          });
          r.on('error', () => undefined);
          try {
            await r.connect();
            return await fn(r, pod);
          } finally {
            r.disconnect();
          }
        }),
      );
    }

    const clusterOf = (pods: readonly k8s.V1Pod[], pass: string): Cluster =>
      clusterClient(
        pods.map((p) => p.status?.podIP ?? ''),
        pass,
      );

    interface Health {
      ok: boolean;
      why: string;
    }

    /** Every node says cluster_state:ok, 3 primaries own all slots and each has exactly one replica. */
    async function clusterHealth(cr: string, pass: string): Promise<Health> {
      const views = await perNode(cr, pass, async (r, pod) => ({
        pod: pod.metadata?.name ?? '',
        info: String(await r.call('CLUSTER', 'INFO')),
        nodes: String(await r.call('CLUSTER', 'NODES')),
      }));
      const notOk = views.filter((v) => !/^cluster_state:ok/m.test(v.info)).map((v) => v.pod);
      if (notOk.length > 0) return { ok: false, why: `cluster_state not ok on ${notOk.join(',')}` };
      const lines = (views[0]?.nodes ?? '')
        .trim()
        .split('\n')
        .map((l) => l.split(' '));
      const live = lines.filter((f) => !(f[2] ?? '').includes('fail'));
      const masters = live.filter((f) => (f[2] ?? '').includes('master') && f.length > 8);
      const replicasOf = (id: string): number => live.filter((f) => f[3] === id).length;
      const shapes = masters.map((m) => replicasOf(m[0] ?? ''));
      const ok = masters.length === 3 && shapes.every((n) => n === 1) && live.length === 6;
      return {
        ok,
        why: `${masters.length} primaries with replicas ${shapes.join(',')}, ${live.length} live nodes`,
      };
    }

    const cr = 'durable';
    const keys = new FleetKeys(`${namespace}/${cr}`);
    const ids = Array.from({ length: SESSIONS }, (_, i) => `h4s${i}-${suffix}`);
    let pass = '';

    /**
     * Waits until `faulted(pods)` shows the fault happened, every Redis pod is Ready, the cluster is whole
     * (3 primaries, one replica each, cluster_state:ok everywhere) and every session is readable; the
     * seconds since `started`. On timeout it fails with the number of sessions lost.
     */
    async function healed(
      client: Cluster,
      faulted: (pods: k8s.V1Pod[]) => boolean,
      started: number,
    ): Promise<number> {
      let last: Health = { ok: false, why: 'not checked yet' };
      const at = await eventually(
        async () => {
          const pods = await redisPods(cr);
          if (!faulted(pods) || pods.length !== 6 || !pods.every(isReady)) return undefined;
          last = await clusterHealth(cr, pass);
          if (!last.ok) return undefined;
          return (await readableSessions(client, keys, ids)) === SESSIONS ? Date.now() : undefined;
        },
        'the cluster to heal with every session readable',
        300_000,
      ).catch(async (err: unknown) => {
        const lost = SESSIONS - (await readableSessions(client, keys, ids));
        throw new Error(
          `${String(err)}\nsessions lost: ${lost} of ${SESSIONS}; cluster: ${last.why}\n` +
            `${await describePods(core, namespace)}`,
          { cause: err },
        );
      });
      return (at - started) / 1000;
    }

    /** readableSessions, printing what the incomplete ones lack and the pods' restarts if any is. */
    async function readableOrExplained(client: Cluster): Promise<number> {
      const readable = await readableSessions(client, keys, ids);
      if (readable === SESSIONS) return readable;
      const restarted = (await redisPods(cr)).map((p) => `${p.metadata?.name}:${restarts(p)}`);
      process.stdout.write(
        `h4redis: ${SESSIONS - readable} sessions incomplete: ` +
          `${(await incompleteSessions(client, keys, ids)).join('; ')}; restarts ${restarted.join(' ')}\n`,
      );
      return readable;
    }

    it('cluster 3 x 1 (the default) without storage: kill 1 in a primary loses no session', async () => {
      await custom.createNamespacedCustomObject({
        ...CBD_API,
        namespace,
        body: chatbot(cr, { topology: 'cluster', shards: 3 }),
      });
      const ready = await redisReady(cr, /^3 shards, 16384 slots covered, cluster_state:ok/);
      // replicasPerShard defaulted to 1: six pods, no NoRedundancy warning.
      expect((await redisPods(cr)).length).toBe(6);
      expect(conditionOf(ready, 'Degraded')?.reason).not.toBe('NoRedundancy');
      pass = await password(cr);
      // Readiness means serving: every pod turns Ready once the cluster is assembled.
      await eventually(
        async () => ((await redisPods(cr)).every(isReady) ? true : undefined),
        'every Redis pod Ready',
      );
      const client = clusterOf(await redisPods(cr), pass);
      try {
        await writeSessions(client, keys, ids);
        expect(await readableSessions(client, keys, ids)).toBe(SESSIONS);

        const victim = ready.status?.redis?.shards?.find((s) => s.index === 1)?.primary ?? '';
        expect(victim).toMatch(/^durable-redis-shard-1-\d$/);
        const before = (await redisPods(cr)).find((p) => p.metadata?.name === victim);
        const restartsBefore = before ? restarts(before) : 0;
        const started = Date.now();
        // SIGTERM to redis-server, PID 1 of the container: a clean container restart in the same pod.
        await run(kubectlPath(), [
          '--kubeconfig',
          testenvVar('KUBECONFIG'),
          '-n',
          namespace,
          'exec',
          victim,
          '-c',
          'redis',
          '--',
          'sh',
          '-c',
          'kill 1',
        ]).catch(() => undefined); // the exec session may end with the process it killed

        const restarted = (pods: k8s.V1Pod[]): boolean =>
          restarts(pods.find((p) => p.metadata?.name === victim) ?? before ?? {}) > restartsBefore;
        const healSeconds = await healed(client, restarted, started);
        process.stdout.write(
          `h4redis: kill 1 in ${victim}: healed in ${healSeconds.toFixed(1)} s, 0 of ${SESSIONS} sessions lost\n`,
        );
        await redisReady(cr, /^3 shards, 16384 slots covered, cluster_state:ok/, 120_000);
      } finally {
        client.disconnect();
      }
    }, 900_000);

    it('cluster: writing twice the memory limit evicts the answer cache, keeps every session, OOMKills nothing', async () => {
      if (pass === '') pass = await password(cr); // the previous test made the cluster
      const podsBefore = await redisPods(cr);
      const restartsBefore = new Map(podsBefore.map((p) => [p.metadata?.name, restarts(p)]));
      const client = clusterOf(podsBefore, pass);
      try {
        // Twice the limit of all three primaries together, as 8 KiB answers spread over the shards.
        const value = 'a'.repeat(8 * 1024);
        const entries = Math.ceil((2 * 3 * REDIS_LIMIT_MIB * MiB) / value.length);
        const cacheKeys = Array.from({ length: entries }, (_, i) =>
          keys.answer(`v-${suffix}`, `question ${i}`),
        );
        let refused = 0;
        await inBatches(cacheKeys, 100, async (k) => {
          await client.set(k, value, 'EX', CACHE_TTL).catch(() => (refused += 1));
        });
        const cached = (
          await inBatches(cacheKeys, 500, async (k): Promise<number> => client.exists(k).catch(() => 0))
        ).reduce((a, b) => a + b, 0);
        const evicted = (
          await perNode(cr, pass, async (r) =>
            Number(/^evicted_keys:(\d+)/m.exec(String(await r.info('stats')))?.[1] ?? 0),
          )
        ).reduce((a, b) => a + b, 0);
        process.stdout.write(
          `h4redis: wrote ${entries} cache entries (${((entries * value.length) / MiB).toFixed(0)} MiB), ` +
            `${cached} still cached, ${evicted} keys evicted, ${refused} writes refused\n`,
        );
        expect(evicted).toBeGreaterThan(0);
        expect(cached).toBeLessThan(entries);
        expect(await readableOrExplained(client)).toBe(SESSIONS);

        const podsAfter = await redisPods(cr);
        for (const p of podsAfter) {
          const name = p.metadata?.name;
          const cs = p.status?.containerStatuses?.[0];
          expect({ name, restarts: restarts(p) }).toEqual({ name, restarts: restartsBefore.get(name) ?? 0 });
          expect(cs?.lastState?.terminated?.reason).not.toBe('OOMKilled');
        }
        // used vs max memory in status, once the next cluster pass has read it.
        const withMemory = await eventually(
          async () => {
            const shards = (await getCbd(cr)).status?.redis?.shards ?? [];
            return shards.length === 3 && shards.every((s) => (s.usedMemoryBytes ?? 0) > 0)
              ? shards
              : undefined;
          },
          'status.redis.shards[].usedMemoryBytes',
          150_000,
        );
        for (const s of withMemory) {
          expect(s.maxMemoryBytes).toBe((REDIS_LIMIT_MIB - 32) * MiB);
          expect(s.usedMemoryBytes).toBeLessThanOrEqual(s.maxMemoryBytes ?? 0);
        }
      } finally {
        client.disconnect();
      }
    }, 900_000);

    it('cluster: deleting a primary pod loses no session', async () => {
      if (pass === '') pass = await password(cr);
      const shards = (await getCbd(cr)).status?.redis?.shards ?? [];
      const victim = shards.find((s) => s.index === 2)?.primary ?? '';
      expect(victim).toMatch(/^durable-redis-shard-2-\d$/);
      const before = (await redisPods(cr)).find((p) => p.metadata?.name === victim);
      const client = clusterOf(await redisPods(cr), pass);
      try {
        expect(await readableSessions(client, keys, ids)).toBe(SESSIONS);
        const started = Date.now();
        await core.deleteNamespacedPod({ name: victim, namespace });
        const replaced = (pods: k8s.V1Pod[]): boolean =>
          pods.some((p) => p.metadata?.name === victim && p.metadata.uid !== before?.metadata?.uid);
        const healSeconds = await healed(client, replaced, started);
        process.stdout.write(
          `h4redis: deleted pod ${victim}: healed in ${healSeconds.toFixed(1)} s, 0 of ${SESSIONS} sessions lost\n`,
        );
      } finally {
        client.disconnect();
      }
    }, 600_000);

    it('standalone without storage: Degraded=True/NoRedundancy naming the field; Ready once serving', async () => {
      await custom.createNamespacedCustomObject({ ...CBD_API, namespace, body: chatbot('solo', {}) });
      await redisReady('solo', /^standalone Redis is ready$/);
      const degraded = await eventually(async () => {
        const c = conditionOf(await getCbd('solo'), 'Degraded');
        return c?.reason === 'NoRedundancy' ? c : undefined;
      }, 'solo: Degraded NoRedundancy');
      expect(degraded).toMatchObject({ status: 'True', reason: 'NoRedundancy' });
      expect(degraded.message).toContain('spec.sessions.redis.storage');
      const [pod] = await redisPods('solo');
      expect(pod && isReady(pod)).toBe(true);
      // The probe found the standalone server answering PING with no dataset loading.
      const info = await perNode('solo', await password('solo'), async (r) =>
        String(await r.info('persistence')),
      );
      expect(info[0]).toMatch(/^loading:0/m);
    }, 600_000);
  },
);
