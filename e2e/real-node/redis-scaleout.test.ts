/**
 * Managed Redis Cluster without storage on the real node (issue 15), real Redis pods, the operator
 * as a local process: 3 shards x 1 replica and 10,000 keys written first, then
 * (e) an image change (the one Redis image tagged under a second reference in the node's
 *     containerd: nothing may be pulled): the operator rolls every pod, replicas first, each
 *     primary after a CLUSTER FAILOVER;
 * (f) a 3 -> 4 scale-out whose migration source crashes (SHUTDOWN NOSAVE NOW) while one of its
 *     slots is MIGRATING: Redis fails the shard over to its replica, whose new primary has no
 *     MIGRATING mark, and the operator must resume from the keys each side holds. (Not CLUSTER
 *     FAILOVER TAKEOVER: that claims slots from the replica's view without a vote, and a view a
 *     gossip round behind the migration takes back a slot the target already owns, which then
 *     deletes its keys: the risk Redis documents for TAKEOVER, and no operator can undo it. That is
 *     the likeliest reading of the 1 key lost in two full runs with TAKEOVER here; docs/dataplane.md
 *     warns about it.)
 * After each: every key readable and cluster_state:ok on every node. Times are printed as
 * `h15grow:` lines for the report.
 */
import { afterAll, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
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
import { clusterClient, clusterNodes, nodeClient, tagRedisImage, untagRedisImage } from './redis-support.js';

const status = await realNodeStatus();
const suffix = randomUUID().slice(0, 8);
const KEYS = 10_000;
const FLEET = 'grow';
const key = (i: number): string => `h15grow:${i}`;
const NEW_IMAGE = `${REDIS_IMAGE}-h15grow-${suffix}`;

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface Cbd {
  metadata: { generation?: number };
  status?: { observedGeneration?: number; conditions?: Condition[] };
}

/** A MIGRATING mark on a node's own line: `[slot->-targetId]`. */
const MIGRATING = /^\[(\d+)->-([0-9a-f]{40})\]$/;

describeOnRealNode(
  status,
  'real node: managed Redis Cluster rolls an image change and survives a failover mid scale-out',
  (nodeName) => {
    const kc = adminConfig();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const eventsApi = kc.makeApiClient(k8s.EventsV1Api);
    const namespace = `rn-h15grow-${suffix}`;
    const selector = `app.kubernetes.io/name=redis,app.kubernetes.io/instance=${FLEET}`;
    const operator = withLocalOperator(core, nodeName, namespace, [BOT_IMAGE, REDIS_IMAGE]);
    let password = '';

    afterAll(async () => untagRedisImage(NEW_IMAGE));

    const getCbd = async (): Promise<Cbd> =>
      (await custom.getNamespacedCustomObject({ ...CBD_API, namespace, name: FLEET })) as Cbd;

    async function redisPods(): Promise<k8s.V1Pod[]> {
      const pods = await core.listNamespacedPod({ namespace, labelSelector: selector });
      return pods.items.filter((p) => !p.metadata?.deletionTimestamp && p.status?.podIP);
    }

    const podIps = async (): Promise<string[]> => (await redisPods()).map((p) => p.status?.podIP ?? '');

    async function readPassword(): Promise<string> {
      const secret = await core.readNamespacedSecret({ namespace, name: `${FLEET}-redis-auth` });
      return Buffer.from(secret.data?.password ?? '', 'base64').toString('utf8');
    }

    async function readable(): Promise<number> {
      const c = clusterClient(await podIps(), password);
      try {
        let ok = 0;
        for (let start = 0; start < KEYS; start += 500) {
          const batch = Array.from({ length: Math.min(500, KEYS - start) }, (_, j) => start + j);
          const values = await Promise.all(batch.map((i) => c.get(key(i)).catch(() => null)));
          ok += values.filter((v, j) => v === `v${batch[j]}`).length;
        }
        return ok;
      } finally {
        c.disconnect();
      }
    }

    /** '' when every pod sees `shards` primaries with one replica each and no failed node; else why not. */
    async function wholeCluster(shards: number): Promise<string> {
      const ips = await podIps();
      if (ips.length !== 2 * shards) return `${ips.length} pods`;
      const views = await Promise.all(ips.map((ip) => clusterNodes(ip, password)));
      if (views.some((v) => v.length !== 2 * shards)) return 'a node sees another node count';
      const lines = views[0] ?? [];
      if (lines.some((f) => (f[2] ?? '').includes('fail'))) return 'a node is failed';
      const masters = lines.filter((f) => (f[2] ?? '').includes('master') && f.length > 8);
      const replicas = masters.map((m) => lines.filter((f) => f[3] === m[0]).length);
      return masters.length === shards && replicas.every((n) => n === 1)
        ? ''
        : `${masters.length} primaries with replicas ${replicas.join(',')}`;
    }

    /** RedisReady as one line, and whether it is the steady message for `shards` at this generation. */
    async function redisReady(shards: number): Promise<{ line: string; steady: boolean }> {
      const cr = await getCbd();
      const none: Condition = { type: 'RedisReady', status: '', reason: '', message: '' };
      const c = cr.status?.conditions?.find((x) => x.type === 'RedisReady') ?? none;
      const current = cr.status?.observedGeneration === cr.metadata.generation;
      const ok = `${shards} shards, 16384 slots covered, cluster_state:ok`;
      return {
        line: `${c.status} ${c.reason}: ${c.message}`,
        steady: current && c.status === 'True' && c.message.startsWith(ok),
      };
    }

    /** RedisReady steady for `shards`, `extra` true, the topology whole and `keys` keys readable. */
    async function healthy(
      what: string,
      shards: number,
      extra: () => Promise<boolean>,
      keys = KEYS,
    ): Promise<void> {
      let why = 'not checked';
      const probe = async (): Promise<true | undefined> => {
        const ready = await redisReady(shards);
        if (ready.line !== why) process.stdout.write(`[${what}] RedisReady ${ready.line}\n`);
        why = ready.line;
        if (!ready.steady || !(await extra())) return undefined;
        why = await wholeCluster(shards);
        if (why !== '') return undefined;
        const n = keys === 0 ? 0 : await readable();
        why = `${keys - n} keys unreadable`;
        return n === keys ? true : undefined;
      };
      await eventually(probe, what, 600_000).catch(async (err: unknown) => {
        const context = `${await describePods(core, namespace)}\n${operator.operator()?.output() ?? ''}`;
        throw new Error(`${String(err)}\nlast: ${why}\n${context}`, { cause: err });
      });
    }

    async function eventNotes(reason: string): Promise<string[]> {
      const list = await eventsApi.listNamespacedEvent({ namespace });
      return list.items.filter((e) => e.reason === reason).map((e) => e.note ?? '');
    }

    async function patchRedis(redis: Record<string, unknown>): Promise<void> {
      await custom.patchNamespacedCustomObject(
        { ...CBD_API, namespace, name: FLEET, body: { spec: { sessions: { redis } } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    }

    it('bootstraps 3 x 1 without storage and stores 10,000 keys', async () => {
      const body = realNodeChatbot(FLEET, `v-${suffix}`, {
        sessions: {
          redis: {
            image: REDIS_IMAGE,
            topology: 'cluster',
            shards: 3,
            replicasPerShard: 1,
            resources: { requests: { cpu: '50m', memory: '32Mi' }, limits: { memory: '128Mi' } },
            placement: onRealNode(),
          },
        },
      });
      await custom.createNamespacedCustomObject({ ...CBD_API, namespace, body });
      await eventually(async () => ((await redisPods()).length === 6 ? true : undefined), '6 Redis pods');
      password = await readPassword();
      await healthy('bootstrap', 3, async () => true, 0);
      const c = clusterClient(await podIps(), password);
      try {
        for (let start = 0; start < KEYS; start += 500) {
          const batch = Array.from({ length: Math.min(500, KEYS - start) }, (_, j) => start + j);
          await Promise.all(batch.map((i) => c.set(key(i), `v${i}`)));
        }
      } finally {
        c.disconnect();
      }
      expect(await readable()).toBe(KEYS);
      expect(await wholeCluster(3)).toBe('');
    }, 900_000);

    it('(e) an image change rolls every pod, replicas first, failover before primaries; every key readable', async () => {
      await tagRedisImage(NEW_IMAGE);
      const restartsBefore = (await eventNotes('RedisPodRestarted')).length;
      const failoversBefore = (await eventNotes('RedisFailover')).length;
      const started = Date.now();
      await patchRedis({ image: NEW_IMAGE });
      const onNewImage = async (): Promise<boolean> => {
        const pods = await redisPods();
        return pods.length === 6 && pods.every((p) => p.spec?.containers[0]?.image === NEW_IMAGE);
      };
      await healthy('image change', 3, onNewImage);
      const restarted = (await eventNotes('RedisPodRestarted')).slice(restartsBefore);
      const failovers = (await eventNotes('RedisFailover')).length - failoversBefore;
      process.stdout.write(
        `h15grow: image change without storage: 6 pods rolled in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
          `(${restarted.length} pod restarts, ${failovers} failovers), 0 of ${KEYS} keys lost\n`,
      );
      expect(restarted.length).toBeGreaterThanOrEqual(6);
      for (const note of restarted) expect(note).toMatch(/^restarting pod \S+ \(replica of shard \d\)/);
      expect(failovers).toBeGreaterThanOrEqual(3);
    }, 900_000);

    /** A primary with a MIGRATING slot, its IP and its replica's; undefined when no slot is migrating. */
    async function migratingSource(): Promise<
      { slot: string; sourceIp: string; replicaIp: string } | undefined
    > {
      for (const ip of await podIps()) {
        const lines = await clusterNodes(ip, password);
        const me = lines.find((f) => (f[2] ?? '').includes('myself'));
        const mark = me
          ?.slice(8)
          .map((s) => MIGRATING.exec(s))
          .find((m) => m !== null);
        if (!me || !mark) continue;
        const replica = lines.find((f) => f[3] === me[0] && !(f[2] ?? '').includes('fail'));
        const replicaIp = replica?.[1]?.split(':')[0];
        if (replicaIp) return { slot: mark[1] ?? '', sourceIp: ip, replicaIp };
      }
      return undefined;
    }

    /** `role:master` or `role:slave` of one node, '' when it does not answer. */
    async function roleOf(ip: string): Promise<string> {
      const r = nodeClient(ip, password);
      try {
        await r.connect();
        return /^role:(\w+)/m.exec(await r.info('replication'))?.[1] ?? '';
      } catch {
        return '';
      } finally {
        r.disconnect();
      }
    }

    it('(f) a crash of a migration source during 3 -> 4 scale-out: its replica takes over, no key lost', async () => {
      const started = Date.now();
      await patchRedis({ shards: 4 });
      const source = await eventually(migratingSource, 'a slot MIGRATING during the scale-out', 300_000);
      const markSeenS = (Date.now() - started) / 1000;
      const victim = nodeClient(source.sourceIp, password);
      await victim.connect();
      // The server exits before it can answer; NOW: no waiting for the replica to catch up.
      await victim.call('SHUTDOWN', 'NOSAVE', 'NOW').catch(() => undefined);
      victim.disconnect();
      process.stdout.write(
        `h15grow: slot ${source.slot} MIGRATING ${markSeenS.toFixed(1)} s into the scale-out; ` +
          `its source ${source.sourceIp} shut down (SHUTDOWN NOSAVE NOW), replica ${source.replicaIp}\n`,
      );
      await healthy('scale-out with a crashed source', 4, async () => true);
      // The orphaned slots' fate, from the operator's action log (claimOrphanSlot, resumeOrphanSlot).
      const orphanLines = operator.operator()?.grep(/slot \d+: [^"]*/g) ?? [];
      const kinds = new Map<string, number>();
      for (const l of orphanLines) {
        const kind = l
          .replace(/^slot \d+: /, '')
          .replace(/[0-9a-f]{40}/g, '<id>')
          .replace(/\d+/g, 'N');
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      }
      process.stdout.write(
        `h15grow: orphaned slots: ${[...kinds].map(([k, n]) => `${n} x "${k}"`).join('; ') || 'none'}\n`,
      );
      // Redis failed the shard over (the restarted source came back as a new, empty node: a replica).
      expect(await roleOf(source.replicaIp)).toBe('master');
      process.stdout.write(
        `h15grow: 3 -> 4 shards with a crashed source mid-migration: done in ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
          `0 of ${KEYS} keys lost\n`,
      );
    }, 900_000);
  },
);
