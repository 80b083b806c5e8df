/**
 * The documented rotation of the managed Redis password (docs/dataplane.md "Password"), end to end
 * on the real node with real Redis and bot pods, the operator as a local process:
 * delete `<cr>-redis-auth` -> the operator recreates it with a new password at once -> restart the
 * Redis pod (the one manual step) -> the bot Deployment rolls by itself -> chat stores sessions
 * again, Redis refuses the old password and accepts the new one.
 */
import { expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import {
  CBD_API,
  BOT_IMAGE,
  REDIS_IMAGE,
  adminConfig,
  describeOnRealNode,
  describePods,
  eventually,
  everyBotPod,
  httpText,
  onRealNode,
  postJsonFresh,
  realNodeChatbot,
  realNodeStatus,
  withLocalOperator,
} from './support.js';

const status = await realNodeStatus();
const suffix = randomUUID().slice(0, 8);
const NAME = 'pw';
const SECRET = `${NAME}-redis-auth`;
const STAMP = 'chatfleet.io/redis-password-hash';

/** AUTH with `password` on a connection to the Redis pod: 'OK', or the error Redis answered. */
async function authWith(host: string, password: string): Promise<string> {
  const redis = new Redis({
    host,
    port: 6379,
    lazyConnect: true,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 5000,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return String(await redis.call('AUTH', password));
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    redis.disconnect();
  }
}

describeOnRealNode(status, 'real node: rotating the managed Redis password', (nodeName) => {
  const kc = adminConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const namespace = `h2del-rn-pw-${suffix}`;
  void nodeName;

  withLocalOperator(core, nodeName, namespace, [BOT_IMAGE, REDIS_IMAGE]);

  const password = async (): Promise<{ uid: string; value: string; created: string }> => {
    const s = await core.readNamespacedSecret({ name: SECRET, namespace });
    return {
      uid: s.metadata?.uid ?? '',
      value: Buffer.from(s.data?.password ?? '', 'base64').toString('utf8'),
      created: String(s.metadata?.creationTimestamp?.toISOString?.() ?? s.metadata?.creationTimestamp ?? ''),
    };
  };
  const stamp = async (): Promise<string | undefined> =>
    (await apps.readNamespacedDeployment({ name: NAME, namespace })).spec?.template.metadata?.annotations?.[
      STAMP
    ];
  const redisPodIp = async (): Promise<string> =>
    eventually(
      async () => {
        const pod = await core.readNamespacedPod({ name: `${NAME}-redis-0`, namespace });
        const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
        return ready && !pod.metadata?.deletionTimestamp ? pod.status?.podIP : undefined;
      },
      'the Redis pod Ready',
      180_000,
    );
  const url = async (): Promise<string> =>
    `http://${(await core.readNamespacedService({ name: NAME, namespace })).spec?.clusterIP ?? ''}`;

  /**
   * A new session of two turns through the Service, until Redis holds both (a pod that was just
   * replaced may still answer a request or two while its endpoint goes); resolves the turns held.
   */
  async function chatTwice(): Promise<number> {
    const base = await url();
    let last = '';
    return eventually(
      async () => {
        const first = await postJsonFresh(`${base}/v1/chat`, { message: 'where is my order' });
        const { sessionId } = first.json as { sessionId: string };
        const second = await postJsonFresh(`${base}/v1/chat`, { message: 'and my refund', sessionId });
        const r = await httpText(`${base}/v1/sessions/${sessionId}`);
        last = `chat ${first.status}/${second.status}, session ${r.status} ${r.body.slice(0, 200)}`;
        const turns = r.status === 200 ? (JSON.parse(r.body) as { turns: unknown[] }).turns.length : 0;
        return turns === 2 ? turns : undefined;
      },
      'a session of two turns stored in Redis',
      60_000,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}; last: ${last}`, { cause: err });
    });
  }

  it('delete the Secret, restart Redis: the bots roll by themselves, chat works, the old password is refused', async () => {
    const body = realNodeChatbot(NAME, `v-${suffix}`, {
      scaling: { minReplicas: 2, maxReplicas: 2 },
      sessions: {
        redis: {
          image: REDIS_IMAGE,
          resources: { requests: { cpu: '50m', memory: '32Mi' }, limits: { memory: '128Mi' } },
          placement: onRealNode(),
        },
      },
    });
    await custom.createNamespacedCustomObject({ ...CBD_API, namespace, body });
    await everyBotPod(core, namespace, NAME, 2, (r) => r.redis === 'up', 'Redis up').catch(async (err) => {
      throw new Error(`${String(err)}\n${await describePods(core, namespace)}`, { cause: err });
    });
    expect(await chatTwice()).toBe(2);
    const old = await password();
    const stampBefore = await stamp();
    expect(stampBefore).toMatch(/^[0-9a-f]{16}$/);

    // 1. Delete the Secret: recreated within seconds with another password; nothing rolls yet.
    await core.deleteNamespacedSecret({ name: SECRET, namespace });
    const rotated = await eventually(
      async () => {
        const p = await password().catch(() => undefined);
        return p && p.uid !== old.uid ? p : undefined;
      },
      'the password Secret recreated',
      15_000,
    );
    expect(rotated.value).not.toBe(old.value);
    expect(await stamp()).toBe(stampBefore);
    expect(await authWith(await redisPodIp(), old.value)).toBe('OK'); // Redis still has the old one

    // 2. Restart the Redis pod (documented manual step).
    await core.deleteNamespacedPod({ name: `${NAME}-redis-0`, namespace });
    await eventually(
      async () => {
        const pod = await core.readNamespacedPod({ name: `${NAME}-redis-0`, namespace });
        const started = pod.status?.containerStatuses?.find((c) => c.name === 'redis')?.state?.running
          ?.startedAt;
        return started && !pod.metadata?.deletionTimestamp ? started : undefined;
      },
      'the Redis pod running again',
      180_000,
    );
    const ip = await redisPodIp();

    // 3. The bot Deployment rolls by itself to the new password.
    await eventually(
      async () => ((await stamp()) !== stampBefore ? true : undefined),
      'the bot pod template stamped with the new Secret',
      60_000,
    );
    await eventually(
      async () => {
        const d = await apps.readNamespacedDeployment({ name: NAME, namespace });
        const s = d.status;
        const done =
          s?.observedGeneration === d.metadata?.generation &&
          s?.updatedReplicas === 2 &&
          s?.readyReplicas === 2 &&
          (s?.replicas ?? 0) === 2;
        return done ? true : undefined;
      },
      'the bot Deployment rolled out',
      300_000,
    );
    await everyBotPod(core, namespace, NAME, 2, (r) => r.redis === 'up', 'Redis up with the new password');
    expect(await chatTwice()).toBe(2);
    expect(await authWith(ip, old.value)).toMatch(/WRONGPASS|invalid/i);
    expect(await authWith(ip, rotated.value)).toBe('OK');
  }, 900_000);
});
