/**
 * Managed Redis WITH storage on the real node (issue 15), with real Redis pods and the operator as a
 * local process. The test cluster has no StorageClass or provisioner, so the suite makes storage
 * itself, honestly: static `local` PersistentVolumes (node affinity to the real node) on fresh
 * directories of this machine (the real node's kubelet runs on this host), owned by uid/gid 999
 * (the redis user of the pods' securityContext), with a suite-unique storageClassName. The
 * operator's volumeClaimTemplates (spec.sessions.redis.storage) bind to them as they would to any
 * provisioned volume. Then:
 * (a) standalone with storage: 10,000 sessions, the pod deleted, every session read back from the
 *     AOF on the volume;
 * (b) cluster 3 shards x 1 replica with storage: `kill 1` in a primary's container, then a primary's
 *     pod deleted: every session readable, cluster_state:ok, and every node keeps its node id (the
 *     identity is nodes.conf on the volume, next to the data);
 * (c) the same cluster: an image change (the one Redis image, tagged under a second reference in the
 *     node's containerd, since nothing may be pulled) is rolled by the operator, replicas first and
 *     primaries only after a CLUSTER FAILOVER; every pod runs the new reference, every session
 *     readable, cluster_state:ok.
 * Heal and roll times are printed as `h8store:` lines. PVs, PVCs, directories and the extra image
 * tag are removed afterwards.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import type { Cluster } from 'ioredis';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chown, mkdir, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FleetKeys } from '../../bot-runtime/sessions/keys.js';
import { kubectlPath, testenvVar } from '../support/env.js';
import {
  SESSION_TTL,
  clusterClient,
  nodeClient,
  readableSessions,
  tagRedisImage,
  untagRedisImage,
  writeSessions,
} from './redis-support.js';
import {
  BOT_IMAGE,
  CBD_API,
  REAL_NODE_LABEL,
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
/** The uid/gid the Redis pods run as (operator/dataplane/redis/security.ts). */
const REDIS_UID = 999;
const STORAGE_CLASS = `h8store-${suffix}`;
/** One volume for the standalone pod, six for the 3 x 1 cluster. */
const VOLUMES = 7;
const VOLUME_SIZE = '64Mi';
/** A second reference to the one Redis image on the node: an image change with nothing to pull. */
const NEW_IMAGE = `${REDIS_IMAGE}-h8store-${suffix}`;

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
    redis?: { shards?: { index: number; primary?: string; replicas?: number }[] };
  };
}

const isReady = (p: k8s.V1Pod): boolean =>
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const restarts = (p: k8s.V1Pod | undefined): number => p?.status?.containerStatuses?.[0]?.restartCount ?? 0;
const podName = (p: k8s.V1Pod): string => p.metadata?.name ?? '';

describeOnRealNode(
  status,
  'real node: managed Redis with storage keeps sessions and rolls an image change',
  (nodeName) => {
    const kc = adminConfig();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const eventsApi = kc.makeApiClient(k8s.EventsV1Api);
    const namespace = `h8store-${suffix}`;
    const volumeRoot = join(tmpdir(), `h8store-${suffix}`);
    const operator = withLocalOperator(core, nodeName, namespace, [BOT_IMAGE, REDIS_IMAGE]);

    beforeAll(async () => {
      for (let i = 0; i < VOLUMES; i++) {
        const path = join(volumeRoot, `pv-${i}`);
        await mkdir(path, { recursive: true, mode: 0o750 });
        await chown(path, REDIS_UID, REDIS_UID);
        await core.createPersistentVolume({ body: localVolume(`h8store-${suffix}-${i}`, path) });
      }
    });

    afterAll(async () => {
      // Independent of the namespace deletion in withLocalOperator's afterAll (either may run first).
      for (const name of ['solo', 'durable'])
        await custom.deleteNamespacedCustomObject({ ...CBD_API, namespace, name }).catch(() => undefined);
      const claims = await core.listNamespacedPersistentVolumeClaim({ namespace }).catch(() => undefined);
      for (const c of claims?.items ?? [])
        await core
          .deleteNamespacedPersistentVolumeClaim({ namespace, name: c.metadata?.name ?? '' })
          .catch(() => undefined);
      // The claims go once no pod mounts them: then nothing holds the directories.
      await eventually(
        async () => {
          const left = await core.listNamespacedPersistentVolumeClaim({ namespace }).catch(() => undefined);
          return (left?.items.length ?? 0) === 0 ? true : undefined;
        },
        'the suite PVCs to go',
        180_000,
      ).catch(() => undefined);
      for (let i = 0; i < VOLUMES; i++)
        await core.deletePersistentVolume({ name: `h8store-${suffix}-${i}` }).catch(() => undefined);
      await rm(volumeRoot, { recursive: true, force: true });
      await untagRedisImage(NEW_IMAGE);
    });

    function localVolume(name: string, path: string): k8s.V1PersistentVolume {
      return {
        metadata: { name, labels: { 'chatfleet.io/e2e': STORAGE_CLASS } },
        spec: {
          capacity: { storage: VOLUME_SIZE },
          accessModes: ['ReadWriteOnce'],
          volumeMode: 'Filesystem',
          persistentVolumeReclaimPolicy: 'Retain',
          storageClassName: STORAGE_CLASS,
          local: { path },
          nodeAffinity: {
            required: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: REAL_NODE_LABEL, operator: 'In', values: ['true'] }] },
              ],
            },
          },
        },
      };
    }

    const getCbd = async (name: string): Promise<Cbd> =>
      (await custom.getNamespacedCustomObject({ ...CBD_API, namespace, name })) as Cbd;

    function chatbot(name: string, redis: Record<string, unknown>): ReturnType<typeof realNodeChatbot> {
      return realNodeChatbot(name, `v-${suffix}`, {
        sessions: {
          ttlSeconds: SESSION_TTL,
          redis: {
            image: REDIS_IMAGE,
            resources: { requests: { cpu: '50m', memory: '32Mi' }, limits: { memory: '128Mi' } },
            placement: onRealNode(),
            storage: { size: VOLUME_SIZE, storageClassName: STORAGE_CLASS },
            ...redis,
          },
        },
      });
    }

    async function failureContext(): Promise<string> {
      return `${await describePods(core, namespace)}\n${operator.operator()?.output() ?? ''}`;
    }

    async function redisReady(name: string, message: RegExp, ms = 300_000): Promise<Cbd> {
      let last: Cbd | undefined;
      return eventually(
        async () => {
          last = await getCbd(name);
          const c = last.status?.conditions?.find((x) => x.type === 'RedisReady');
          const current = last.status?.observedGeneration === last.metadata.generation;
          return current && c?.status === 'True' && message.test(c.message) ? last : undefined;
        },
        `${name}: RedisReady (${String(message)})`,
        ms,
      ).catch(async (err: unknown) => {
        const conditions = JSON.stringify(last?.status?.conditions);
        throw new Error(`${String(err)}\nconditions: ${conditions}\n${await failureContext()}`, {
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

    async function password(cr: string): Promise<string> {
      const secret = await core.readNamespacedSecret({ name: `${cr}-redis-auth`, namespace });
      return Buffer.from(secret.data?.password ?? '', 'base64').toString('utf8');
    }

    /** The host directory of the PV bound to a pod's `data` claim. */
    async function volumeDirOf(pod: string): Promise<string> {
      const claim = await core.readNamespacedPersistentVolumeClaim({ namespace, name: `data-${pod}` });
      const pv = await core.readPersistentVolume({ name: claim.spec?.volumeName ?? '' });
      expect(pv.spec?.storageClassName).toBe(STORAGE_CLASS);
      return pv.spec?.local?.path ?? '';
    }

    async function killRedisProcess(pod: string): Promise<void> {
      // SIGTERM to redis-server, PID 1 of the container: a clean container restart in the same pod.
      await run(kubectlPath(), [
        ...['--kubeconfig', testenvVar('KUBECONFIG'), '-n', namespace],
        ...['exec', pod, '-c', 'redis', '--', 'sh', '-c', 'kill 1'],
      ]).catch(() => undefined); // the exec session may end with the process it killed
    }

    it('standalone with storage: deleting the pod keeps every session (AOF on the volume)', async () => {
      const cr = 'solo';
      const keys = new FleetKeys(`${namespace}/${cr}`);
      const ids = Array.from({ length: SESSIONS }, (_, i) => `h8s${i}-${suffix}`);
      await custom.createNamespacedCustomObject({ ...CBD_API, namespace, body: chatbot(cr, {}) });
      await redisReady(cr, /^standalone Redis is ready$/);
      const pass = await password(cr);
      const [before] = await redisPods(cr);
      expect(before && isReady(before)).toBe(true);
      const dir = await volumeDirOf(podName(before ?? {}));
      const r = nodeClient(before?.status?.podIP ?? '', pass);
      await r.connect();
      try {
        expect(String(await r.info('persistence'))).toMatch(/^aof_enabled:1/m);
        await writeSessions(r, keys, ids);
        expect(await readableSessions(r, keys, ids)).toBe(SESSIONS);
      } finally {
        r.disconnect();
      }
      // appendfsync everysec: a write is on disk within about a second. Waiting 2 s first makes this
      // a test of the volume, not of the clean shutdown's final fsync (which would save them anyway).
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect((await readdir(dir)).some((f) => f.startsWith('appendonly'))).toBe(true);

      const started = Date.now();
      await core.deleteNamespacedPod({ namespace, name: podName(before ?? {}) });
      const after = await eventually(
        async () => {
          const [p] = await redisPods(cr);
          return p && p.metadata?.uid !== before?.metadata?.uid && isReady(p) ? p : undefined;
        },
        'the replacement standalone pod Ready',
        180_000,
      ).catch(async (err: unknown) => {
        throw new Error(`${String(err)}\n${await failureContext()}`, { cause: err });
      });
      const readyS = (Date.now() - started) / 1000;
      const again = nodeClient(after.status?.podIP ?? '', pass);
      await again.connect();
      try {
        const readable = await readableSessions(again, keys, ids);
        const healS = (Date.now() - started) / 1000;
        process.stdout.write(
          `h8store: standalone with storage, pod deleted: Ready again in ${readyS.toFixed(1)} s, ` +
            `every session read back by ${healS.toFixed(1)} s, ${SESSIONS - readable} of ${SESSIONS} lost\n`,
        );
        expect(readable).toBe(SESSIONS);
      } finally {
        again.disconnect();
      }
      expect(await volumeDirOf(podName(after))).toBe(dir); // the same volume, re-attached
    }, 600_000);

    // ---------------------------------------------------------------- cluster with storage -----
    const cr = 'durable';
    const keys = new FleetKeys(`${namespace}/${cr}`);
    const ids = Array.from({ length: SESSIONS }, (_, i) => `h8c${i}-${suffix}`);
    let pass = '';
    /** pod name -> node id when the cluster was assembled; storage must keep every one. */
    let identities = new Map<string, string>();

    async function podIps(): Promise<string[]> {
      return (await redisPods(cr)).map((p) => p.status?.podIP ?? '').filter((ip) => ip !== '');
    }

    async function withCluster<T>(fn: (c: Cluster) => Promise<T>): Promise<T> {
      const c = clusterClient(await podIps(), pass);
      try {
        return await fn(c);
      } finally {
        c.disconnect();
      }
    }

    interface NodeSight {
      pod: string;
      id: string;
      ok: boolean;
      nodes: string[][];
    }

    async function sights(): Promise<NodeSight[]> {
      return Promise.all(
        (await redisPods(cr)).map(async (pod) => {
          const r = nodeClient(pod.status?.podIP ?? '', pass);
          try {
            await r.connect();
            const info = String(await r.call('CLUSTER', 'INFO'));
            const nodes = String(await r.call('CLUSTER', 'NODES'))
              .trim()
              .split('\n')
              .map((l) => l.split(' '));
            const id = nodes.find((f) => (f[2] ?? '').includes('myself'))?.[0] ?? '';
            return { pod: podName(pod), id, ok: /^cluster_state:ok/m.test(info), nodes };
          } catch {
            return { pod: podName(pod), id: '', ok: false, nodes: [] };
          } finally {
            r.disconnect();
          }
        }),
      );
    }

    /** Why the cluster is not whole (6 nodes, 3 primaries with one replica each, ok everywhere), or ''. */
    function notWhole(views: readonly NodeSight[]): string {
      if (views.length !== 6) return `${views.length} nodes answer`;
      const notOk = views.filter((v) => !v.ok).map((v) => v.pod);
      if (notOk.length > 0) return `cluster_state not ok on ${notOk.join(',')}`;
      const lines = views[0]?.nodes ?? [];
      const live = lines.filter((f) => !(f[2] ?? '').includes('fail'));
      const masters = live.filter((f) => (f[2] ?? '').includes('master') && f.length > 8);
      const shapes = masters.map((m) => live.filter((f) => f[3] === m[0]).length);
      const whole =
        lines.length === 6 && live.length === 6 && masters.length === 3 && shapes.every((n) => n === 1);
      return whole
        ? ''
        : `${masters.length} primaries with replicas ${shapes.join(',')}, ${live.length}/${lines.length} live`;
    }

    /** Pods whose node id is not the one they had when the cluster was assembled. */
    function changedIdentities(views: readonly NodeSight[]): string[] {
      return views
        .filter((v) => identities.get(v.pod) !== v.id)
        .map((v) => `${v.pod}: ${identities.get(v.pod)} -> ${v.id}`);
    }

    /**
     * Seconds from `started` until `faulted` holds, every pod is Ready, the cluster is whole and every
     * session readable. On timeout: fails with the sessions lost and what was still wrong.
     */
    async function healed(faulted: (pods: k8s.V1Pod[]) => boolean, started: number): Promise<number> {
      let why = 'not checked yet';
      const at = await eventually(
        async () => {
          const pods = await redisPods(cr);
          why = 'the fault or Ready pods not seen yet';
          if (!faulted(pods) || pods.length !== 6 || !pods.every(isReady)) return undefined;
          why = notWhole(await sights());
          if (why !== '') return undefined;
          const readable = await withCluster((c) => readableSessions(c, keys, ids));
          why = `${SESSIONS - readable} sessions unreadable`;
          return readable === SESSIONS ? Date.now() : undefined;
        },
        'the cluster to heal with every session readable',
        300_000,
      ).catch(async (err: unknown) => {
        const lost = SESSIONS - (await withCluster((c) => readableSessions(c, keys, ids)));
        throw new Error(
          `${String(err)}\nsessions lost: ${lost} of ${SESSIONS}; ${why}\n${await failureContext()}`,
          {
            cause: err,
          },
        );
      });
      return (at - started) / 1000;
    }

    async function primaryOf(shard: number): Promise<string> {
      const shards = (await getCbd(cr)).status?.redis?.shards ?? [];
      return shards.find((s) => s.index === shard)?.primary ?? '';
    }

    it('cluster 3 x 1 with storage: bootstraps on the volumes and stores 10,000 sessions', async () => {
      await custom.createNamespacedCustomObject({
        ...CBD_API,
        namespace,
        body: chatbot(cr, { topology: 'cluster', shards: 3, replicasPerShard: 1 }),
      });
      await redisReady(cr, /^3 shards, 16384 slots covered, cluster_state:ok/);
      pass = await password(cr);
      await eventually(
        async () => ((await redisPods(cr)).every(isReady) ? true : undefined),
        'every Redis pod Ready',
      );
      for (const p of await redisPods(cr)) expect(await volumeDirOf(podName(p))).toContain(volumeRoot);
      const views = await sights();
      expect(notWhole(views)).toBe('');
      identities = new Map(views.map((v) => [v.pod, v.id]));
      await withCluster(async (c) => {
        await writeSessions(c, keys, ids);
        expect(await readableSessions(c, keys, ids)).toBe(SESSIONS);
      });
      await new Promise((resolve) => setTimeout(resolve, 2000)); // AOF everysec: on disk before any fault
    }, 600_000);

    it("cluster with storage: kill 1 in a primary's container keeps every session and the node's identity", async () => {
      const victim = await primaryOf(1);
      expect(victim).toMatch(/^durable-redis-shard-1-\d$/);
      const before = (await redisPods(cr)).find((p) => podName(p) === victim);
      const started = Date.now();
      await killRedisProcess(victim);
      const restarted = (pods: k8s.V1Pod[]): boolean =>
        restarts(pods.find((p) => podName(p) === victim)) > restarts(before);
      const healS = await healed(restarted, started);
      const views = await sights();
      process.stdout.write(
        `h8store: cluster with storage, kill 1 in ${victim}: healed in ${healS.toFixed(1)} s, 0 of ${SESSIONS} ` +
          `sessions lost, shard 1 primary now ${await primaryOf(1)}\n`,
      );
      expect(changedIdentities(views)).toEqual([]);
    }, 600_000);

    it("cluster with storage: deleting a primary's pod keeps every session and the node's identity", async () => {
      const victim = await primaryOf(2);
      expect(victim).toMatch(/^durable-redis-shard-2-\d$/);
      const before = (await redisPods(cr)).find((p) => podName(p) === victim);
      const dir = await volumeDirOf(victim);
      const started = Date.now();
      await core.deleteNamespacedPod({ namespace, name: victim });
      const replaced = (pods: k8s.V1Pod[]): boolean =>
        pods.some((p) => podName(p) === victim && p.metadata?.uid !== before?.metadata?.uid);
      const healS = await healed(replaced, started);
      const views = await sights();
      process.stdout.write(
        `h8store: cluster with storage, pod ${victim} deleted: healed in ${healS.toFixed(1)} s, 0 of ${SESSIONS} ` +
          `sessions lost, shard 2 primary now ${await primaryOf(2)}\n`,
      );
      expect(changedIdentities(views)).toEqual([]);
      expect(await volumeDirOf(victim)).toBe(dir);
    }, 600_000);

    /** The roll's RedisPodRestarted/RedisFailover notes since the suite started. */
    async function rollNotes(reason: string): Promise<string[]> {
      const list = await eventsApi.listNamespacedEvent({ namespace });
      return [...new Set(list.items.filter((e) => e.reason === reason).map((e) => e.note ?? ''))];
    }

    it('cluster with storage: an image change rolls every pod, replicas first, failover before primaries', async () => {
      await tagRedisImage(NEW_IMAGE);
      const restartsBefore = new Set(await rollNotes('RedisPodRestarted'));
      const failoversBefore = new Set(await rollNotes('RedisFailover'));
      const started = Date.now();
      await custom.patchNamespacedCustomObject(
        { ...CBD_API, namespace, name: cr, body: { spec: { sessions: { redis: { image: NEW_IMAGE } } } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      const onNewImage = (pods: k8s.V1Pod[]): boolean =>
        pods.length === 6 && pods.every((p) => p.spec?.containers[0]?.image === NEW_IMAGE);
      const rollS = await healed(onNewImage, started);
      await redisReady(cr, /^3 shards, 16384 slots covered, cluster_state:ok/, 180_000);
      const restartedNow = (await rollNotes('RedisPodRestarted')).filter((n) => !restartsBefore.has(n));
      const failoversNow = (await rollNotes('RedisFailover')).filter((n) => !failoversBefore.has(n));
      process.stdout.write(
        `h8store: cluster with storage, image change to ${NEW_IMAGE}: 6 pods rolled in ${rollS.toFixed(1)} s ` +
          `(${restartedNow.length} pod restarts, ${failoversNow.length} failovers), 0 of ${SESSIONS} sessions lost\n`,
      );
      // Each pod the operator deleted was a replica at that moment: every primary was failed over first.
      expect(restartedNow.length).toBeGreaterThanOrEqual(6);
      for (const note of restartedNow) expect(note).toMatch(/^restarting pod \S+ \(replica of shard \d\)/);
      expect(failoversNow.length).toBeGreaterThanOrEqual(3);
      for (const p of await redisPods(cr)) {
        expect({ pod: podName(p), pull: p.spec?.containers[0]?.imagePullPolicy }).toEqual({
          pod: podName(p),
          pull: 'IfNotPresent',
        });
      }
      expect(changedIdentities(await sights())).toEqual([]);
    }, 900_000);
  },
);
