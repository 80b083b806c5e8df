/**
 * The background worker pool on the real node (docs/workers.md, issue 18): the local operator, under
 * the chart's RBAC, runs <name>-worker next to the chat pods against the host's Kafka broker and the
 * fleet's managed Redis, and scales it on the real consumer-group lag.
 * 1. Tasks produced from the host scale the pool from zero (timed from the first lag to the first
 *    worker pod Ready), capped at the tasks topic's partitions; every task is done (the pods' own
 *    counters, and the answers the chat pods then serve from the cache); back to zero after the
 *    cooldown, with status.workers, WorkersReady and the WorkersScaled Events as documented.
 * The worker pods run at the chart's lower PriorityClass, created here as the chart renders it.
 * (The chat p99 under a 50,000-task flood is not asserted here yet: on this node it rose 3-4x.)
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { deleteTopic } from '../../bot-runtime/integration/support/kafka.js';
import { testenvVar } from '../support/env.js';
import {
  BOT_IMAGE,
  CBD_API,
  REDIS_IMAGE,
  adminConfig,
  describeOnRealNode,
  describePods,
  eventually,
  everyBotPod,
  onRealNode,
  postJsonFresh,
  realNodeChatbot,
  realNodeStatus,
  withLocalOperator,
} from './support.js';
import {
  WORKER_SELECTOR,
  WorkerTally,
  applyChartWorkerPriorityClass,
  cacheTasks,
  deletePriorityClass,
  produceTasks,
} from './workers-support.js';

const status = await realNodeStatus();
const suffix = randomUUID().slice(0, 8);
const NAME = 'chat';
const VERSION = `v-${suffix}`;
const PRIORITY_CLASS = `rn-workers-${suffix}`;
const SCALE_TASKS = 300;
/** The workers' share of the node: a CPU limit per pod and bounded concurrency (docs/workers.md, Priority). */
const WORKER_CPU_LIMIT = '300m';
const WORKER_CONCURRENCY = 4;

interface Condition {
  type: string;
  status: string;
  reason: string;
}
interface WorkersStatus {
  desiredReplicas?: number;
  replicas?: number;
  readyReplicas?: number;
  lag?: number;
  partitions?: number;
  reason?: string;
}
interface Cbd {
  status?: { conditions?: Condition[]; workers?: WorkersStatus };
}

const log = (line: string): void => void process.stdout.write(`[workers real-node] ${line}\n`);

describeOnRealNode(status, 'real node: the worker pool scales on Kafka lag', (nodeName) => {
  const kc = adminConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const namespace = `rn-workers-${suffix}`;
  const tasksTopic = `${namespace}.${NAME}.tasks`;
  withLocalOperator(core, nodeName, namespace, [BOT_IMAGE, REDIS_IMAGE]);
  let chatUrl = '';

  const cbd = async (): Promise<Cbd> =>
    (await custom.getNamespacedCustomObject({ ...CBD_API, namespace, name: NAME })) as Cbd;
  const condition = (c: Cbd, type: string): Condition | undefined =>
    c.status?.conditions?.find((x) => x.type === type);
  const workerReplicas = async (): Promise<number> =>
    (await apps.readNamespacedDeployment({ name: `${NAME}-worker`, namespace })).spec?.replicas ?? -1;
  const scaledEvents = async (): Promise<string[]> =>
    (await core.listNamespacedEvent({ namespace, fieldSelector: 'reason=WorkersScaled' })).items.map(
      (e) => e.message ?? '',
    );

  beforeAll(async () => {
    await applyChartWorkerPriorityClass(PRIORITY_CLASS);
    const body = realNodeChatbot(NAME, VERSION, {
      runtime: {
        // chat asks for the CPU it needs; the workers below ask for less and are capped
        resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { memory: '256Mi' } },
      },
      scaling: { minReplicas: 2, maxReplicas: 2 },
      sessions: { redis: { image: REDIS_IMAGE, placement: onRealNode() } },
      messaging: { kafka: { bootstrapServers: [testenvVar('KAFKA_POD_BROKERS')] } },
      workers: {
        minReplicas: 0,
        maxReplicas: 3, // the tasks topic gets max(scaling 2, workers 3) = 3 partitions
        targetLagPerReplica: 10,
        stabilizationSeconds: 5,
        cooldownSeconds: 5,
        concurrency: WORKER_CONCURRENCY,
        priorityClassName: PRIORITY_CLASS,
        resources: {
          requests: { cpu: '100m', memory: '128Mi' },
          limits: { cpu: WORKER_CPU_LIMIT, memory: '256Mi' },
        },
      },
    });
    await custom.createNamespacedCustomObject({ ...CBD_API, namespace, body });
    let last: Cbd | undefined;
    await eventually(
      async () => {
        last = await cbd();
        const ok = (t: string): boolean => condition(last!, t)?.status === 'True';
        const scaledToZero = condition(last, 'WorkersReady')?.reason === 'ScaledToZero';
        return ok('Ready') && ok('TopicsReady') && ok('RedisReady') && scaledToZero ? true : undefined;
      },
      'Ready, TopicsReady, RedisReady and WorkersReady=ScaledToZero',
      240_000,
    ).catch(async (err: unknown) => {
      const why = `${String(err)}\nstatus: ${JSON.stringify(last?.status)}\n${await describePods(core, namespace)}`;
      throw new Error(why, { cause: err });
    });
    await everyBotPod(core, namespace, NAME, 2, (r) => r.kafka === 'connected', 'Kafka connected');
    const svc = await core.readNamespacedService({ name: NAME, namespace });
    chatUrl = `http://${svc.spec?.clusterIP ?? ''}/v1/chat`;
    // until kube-proxy has programmed the new Service, the fence refuses its ClusterIP
    await eventually(
      async () => ((await postJsonFresh(chatUrl, { message: 'hello' })).status === 200 ? true : undefined),
      'a chat turn through the Service',
    );
  }, 300_000);

  afterAll(async () => {
    await deletePriorityClass(PRIORITY_CLASS).catch(() => undefined);
    for (const t of [`${namespace}.${NAME}.events`, tasksTopic, `${tasksTopic}.dlq`])
      await deleteTopic(t).catch(() => undefined);
  });

  it('real lag scales the pool 0 -> partitions -> 0; every task is done', async () => {
    expect(await workerReplicas()).toBe(0);
    const tally = new WorkerTally(core, namespace, NAME);
    let mostReplicas = 0;
    const watchReplicas = setInterval(
      () =>
        void workerReplicas().then(
          (n) => (mostReplicas = Math.max(mostReplicas, n)),
          () => undefined,
        ),
      500,
    );
    tally.start();
    try {
      const tasks = cacheTasks(`s-${suffix}`, VERSION, SCALE_TASKS);
      await produceTasks(tasksTopic, tasks);
      const lagAt = Date.now();
      const up = await eventually(
        async () => {
          const w = (await cbd()).status?.workers;
          return w?.desiredReplicas === 3 ? w : undefined;
        },
        'status.workers.desiredReplicas 3',
        60_000,
      );
      expect(up.partitions).toBe(3);
      expect(['ScaledFromZero', 'CappedAtPartitions', 'CappedAtMaxReplicas']).toContain(up.reason);
      await eventually(
        async () => (tally.firstReadyAt !== undefined ? true : undefined),
        'a Ready worker pod',
      );
      log(`first lag to first worker pod Ready (scale from zero): ${tally.firstReadyAt! - lagAt} ms`);

      await eventually(
        async () => (tally.done() >= SCALE_TASKS ? true : undefined),
        `${SCALE_TASKS} tasks done`,
      );
      const doneAt = Date.now();
      // the lower PriorityClass the chart creates reached the worker pods (the chat pods have none: 0)
      const workerPods = await core.listNamespacedPod({ namespace, labelSelector: WORKER_SELECTOR(NAME) });
      expect(workerPods.items.length).toBeGreaterThan(0);
      for (const p of workerPods.items) {
        expect(p.spec?.priorityClassName).toBe(PRIORITY_CLASS);
        expect(p.spec?.priority).toBe(-100);
      }
      log(
        `first lag to all ${SCALE_TASKS} tasks done: ${doneAt - lagAt} ms (${tally.pods()} worker pods reported)`,
      );
      // the effect: the chat pods now serve the pre-warmed answers from the shared answer cache
      for (const t of [tasks[0]!, tasks[SCALE_TASKS / 2]!, tasks[SCALE_TASKS - 1]!]) {
        const r = await postJsonFresh(chatUrl, { message: t.question });
        expect(r.json).toMatchObject({ reply: t.answer, source: 'cache' });
      }

      const down = await eventually(
        async () => {
          const c = await cbd();
          const w = c.status?.workers;
          const ready = condition(c, 'WorkersReady');
          return w?.desiredReplicas === 0 && w.replicas === 0 && ready?.reason === 'ScaledToZero'
            ? { w, ready }
            : undefined;
        },
        'back to zero after the cooldown',
        90_000,
      );
      log(
        `all tasks done to scaled back to 0: ${Date.now() - doneAt} ms (cooldown 5 s, lag read every 15 s)`,
      );
      expect(down.w.lag).toBe(0);
      expect(down.ready.status).toBe('True');
      expect(await workerReplicas()).toBe(0);
      expect(mostReplicas).toBe(3); // reached, never above, the 3 partitions
      expect(tally.mostReady).toBeLessThanOrEqual(3);
      expect(tally.done()).toBeGreaterThanOrEqual(SCALE_TASKS);
      const events = await scaledEvents();
      expect(events.some((m) => m.includes('0 -> 3 (ScaledFromZero)'))).toBe(true);
      expect(events.some((m) => /-> 0 \(CooledDownToZero\)/.test(m))).toBe(true);
    } finally {
      clearInterval(watchReplicas);
      tally.stop();
    }
  }, 240_000);
});
