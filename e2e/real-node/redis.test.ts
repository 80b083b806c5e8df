/**
 * Managed Redis through the operator, with real Redis pods on the real node (the image is
 * images/redis.sh: Debian's redis-server, imported when the real node starts):
 * - standalone: the bots of two pods share sessions through the operator's Redis;
 * - cluster: the operator bootstraps 3 shards, scales out to 4 (slots migrate live), scales back
 *   to 3 (the 4th shard is drained, then its StatefulSet pruned), and no session is lost.
 * The operator runs as a local process (pod IPs on the node's bridge are reachable from here).
 */
import { expect, it } from '@jest/globals';
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
  everyBotPod,
  httpText,
  onRealNode,
  podWarnings,
  postJsonFresh,
  realNodeChatbot,
  realNodeStatus,
  withLocalOperator,
} from './support.js';

const status = await realNodeStatus();
const suffix = randomUUID().slice(0, 8);
const cbdApi = CBD_API;
const SESSIONS = 20;
const log = (line: string): void => void process.stdout.write(`[redis real-node] ${line}\n`);

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
    redis?: { shards?: { index: number; slots?: string }[] };
  };
}

function chatbot(name: string, redis: Record<string, unknown>): ReturnType<typeof realNodeChatbot> {
  return realNodeChatbot(name, `v-${suffix}`, {
    scaling: { minReplicas: 2, maxReplicas: 2 },
    sessions: {
      redis: {
        image: REDIS_IMAGE,
        resources: { requests: { cpu: '50m', memory: '32Mi' }, limits: { memory: '128Mi' } },
        placement: onRealNode(),
        ...redis,
      },
    },
  });
}

describeOnRealNode(
  status,
  'real node: managed Redis through the operator, with real Redis pods',
  (nodeName) => {
    const kc = adminConfig();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const namespace = `rn-redis-${suffix}`;

    const getCbd = async (name: string): Promise<Cbd> =>
      (await custom.getNamespacedCustomObject({ ...cbdApi, namespace, name })) as Cbd;
    const condition = (cr: Cbd, type: string): Condition | undefined =>
      cr.status?.conditions?.find((c) => c.type === type);

    /** Waits until the CR's status describes its current generation with Ready and RedisReady True. */
    async function settled(name: string, redisMessage: RegExp, ms = 300_000): Promise<Cbd> {
      let last: Cbd | undefined;
      return eventually(
        async () => {
          last = await getCbd(name);
          const current = last.status?.observedGeneration === last.metadata.generation;
          const ready = condition(last, 'Ready')?.status === 'True';
          const redis = condition(last, 'RedisReady');
          return current && ready && redis?.status === 'True' && redisMessage.test(redis.message)
            ? last
            : undefined;
        },
        `${name}: Ready and RedisReady (${String(redisMessage)})`,
        ms,
      ).catch(async (err: unknown) => {
        const conditions = JSON.stringify(last?.status?.conditions);
        throw new Error(`${String(err)}\nconditions: ${conditions}\n${await describePods(core, namespace)}`, {
          cause: err,
        });
      });
    }

    /**
     * Every bot pod of the fleet reports Redis up. Bots that started before the cluster was
     * bootstrapped answer degraded (nothing stored) until their client sees cluster_state:ok.
     */
    async function botsSeeRedis(name: string): Promise<void> {
      await everyBotPod(core, namespace, name, 2, (r) => r.redis === 'up', 'Redis up');
    }

    async function serviceUrl(name: string): Promise<string> {
      const svc = await core.readNamespacedService({ name, namespace });
      return `http://${svc.spec?.clusterIP ?? ''}`;
    }

    /**
     * One chat turn through the Service (a fresh connection, so kube-proxy picks a pod each time);
     * without a session it starts one. Resolves the session id.
     */
    async function chat(url: string, sessionId?: string): Promise<string> {
      const r = await eventually(
        async () => {
          const body = { message: 'where is my order', ...(sessionId && { sessionId }) };
          const res = await postJsonFresh(`${url}/v1/chat`, body);
          return res.status === 200 ? res : undefined;
        },
        `a chat turn for ${sessionId ?? 'a new session'}`,
      );
      const reply = r.json as { sessionId: string };
      if (sessionId) expect(reply).toMatchObject({ sessionId });
      return reply.sessionId;
    }

    /**
     * The session's turn count. A 503 SESSION_STORE_UNAVAILABLE is retried for up to 15 s: just
     * after a reshard a bot's 1 s command timeout can fire once while its cluster client refreshes
     * the slot map, which is a blip in availability, not a lost session. A 404 or any other status
     * fails at once.
     */
    async function storedTurns(url: string, sessionId: string, fleet: string): Promise<number> {
      const path = `${url}/v1/sessions/${sessionId}`;
      const r = await eventually(
        async () => {
          const res = await httpText(path);
          const storeDown = res.status === 503 && res.body.includes('SESSION_STORE_UNAVAILABLE');
          if (storeDown) log(`GET /v1/sessions/${sessionId}: 503 SESSION_STORE_UNAVAILABLE, retrying`);
          return storeDown ? undefined : res;
        },
        `GET /v1/sessions/${sessionId} to answer other than 503 SESSION_STORE_UNAVAILABLE`,
        15_000,
      );
      if (r.status !== 200) {
        const bots = `app.kubernetes.io/name=chatbot,app.kubernetes.io/instance=${fleet}`;
        const logs = await podWarnings(core, namespace, bots);
        throw new Error(`GET /v1/sessions/${sessionId}: ${r.status} ${r.body}\nbot pods:\n${logs}`);
      }
      return (JSON.parse(r.body) as { turns: unknown[] }).turns.length;
    }

    async function patchShards(name: string, shards: number): Promise<void> {
      await custom.patchNamespacedCustomObject(
        { ...cbdApi, namespace, name, body: { spec: { sessions: { redis: { shards } } } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    }

    // Managed Redis pods must pass the restricted profile like the bots.
    withLocalOperator(core, nodeName, namespace, [BOT_IMAGE, REDIS_IMAGE]);

    it('standalone: two bot pods share every session through the managed Redis', async () => {
      await custom.createNamespacedCustomObject({ ...cbdApi, namespace, body: chatbot('solo', {}) });
      await settled('solo', /^standalone Redis is ready$/);
      await botsSeeRedis('solo');
      const url = await serviceUrl('solo');
      const sessionId = await chat(url);
      for (let i = 0; i < 5; i++) await chat(url, sessionId);
      // Six turns over fresh connections land on both pods; all six are in the one session.
      expect(await storedTurns(url, sessionId, 'solo')).toBe(6);
      const ready = JSON.parse((await httpText(`${url}/readyz`)).body) as Record<string, unknown>;
      expect(ready).toMatchObject({ status: 'ready', redis: 'up' });
    });

    it('cluster: bootstraps 3 shards, scales out to 4 and back to 3, losing no session', async () => {
      const redis = { topology: 'cluster', shards: 3, replicasPerShard: 0 };
      await custom.createNamespacedCustomObject({ ...cbdApi, namespace, body: chatbot('sharded', redis) });
      await settled('sharded', /^3 shards, 16384 slots covered, cluster_state:ok$/);
      await botsSeeRedis('sharded');
      const url = await serviceUrl('sharded');
      const sessions: string[] = [];
      for (let i = 0; i < SESSIONS; i++) sessions.push(await chat(url));
      const allStored = async (): Promise<number[]> =>
        Promise.all(sessions.map((s) => storedTurns(url, s, 'sharded')));
      expect(await allStored()).toEqual(sessions.map(() => 1));

      await patchShards('sharded', 4);
      const out = await settled('sharded', /^4 shards, 16384 slots covered, cluster_state:ok$/);
      await botsSeeRedis('sharded'); // the bots rolled to the new seed list
      // Slots moved: every shard serves about a quarter of them.
      expect(out.status?.redis?.shards?.map((s) => s.index)).toEqual([0, 1, 2, 3]);
      expect(out.status?.redis?.shards?.every((s) => (s.slots ?? '') !== '')).toBe(true);
      expect(await allStored()).toEqual(sessions.map(() => 1));

      await patchShards('sharded', 3);
      await settled('sharded', /^3 shards, 16384 slots covered, cluster_state:ok$/);
      await botsSeeRedis('sharded');
      await eventually(async () => {
        const sets = await apps.listNamespacedStatefulSet({ namespace });
        const names = sets.items.map((s) => s.metadata?.name);
        return names.includes('sharded-redis-shard-3') ? undefined : names;
      }, 'the drained shard-3 StatefulSet to be pruned');
      expect(await allStored()).toEqual(sessions.map(() => 1));
    }, 900_000); // three settle phases of up to 300 s each, on a shared 2-core node
  },
);
