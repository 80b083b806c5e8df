/**
 * The background worker pool on the real node (docs/workers.md, issue 18): the local operator, under
 * the chart's RBAC, runs <name>-worker next to the chat pods against the host's Kafka broker and the
 * fleet's managed Redis, and scales it on the real consumer-group lag.
 * 1. Tasks produced from the host scale the pool from zero (timed from the first lag to the first
 *    worker pod Ready), capped at the tasks topic's partitions; every task is done (the pods' own
 *    counters, and the answers the chat pods then serve from the cache); back to zero after the
 *    cooldown, with status.workers, WorkersReady and the WorkersScaled Events as documented.
 * 2. Priority: chat p99 over the same open-loop load, once with no worker pod and once while the
 *    workers (at the chart's lower PriorityClass, CPU-limited, bounded concurrency) process a flood
 *    of 50,000 tasks on the same node, in the same run.
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
  readyPods,
  realNodeChatbot,
  realNodeStatus,
  withLocalOperator,
} from './support.js';
import {
  WORKER_SELECTOR,
  WorkerTally,
  applyChartWorkerPriorityClass,
  cacheTasks,
  chatLoad,
  cpuLine,
  deletePriorityClass,
  machineBusy,
  podCpuSeconds,
  percentile,
  produceTasks,
} from './workers-support.js';

const status = await realNodeStatus();
const suffix = randomUUID().slice(0, 8);
const NAME = 'chat';
const VERSION = `v-${suffix}`;
const PRIORITY_CLASS = `rn-workers-${suffix}`;
const SCALE_TASKS = 300;
const FLOOD_TASKS = 50_000;
const CHAT_RATE = 20; // turns per second
/**
 * The chat window during the flood: at most this long, and it ends early once the flood is done (a
 * fast pool finishes 50,000 tasks in under a minute, sometimes before 25 s of chat could).
 */
const CHAT_SECONDS = 25;
/** Turns the window must hold while the flood runs for its p99 to mean anything (5 s of chat). */
const MIN_FLOOD_TURNS = CHAT_RATE * 5;
/**
 * The workers' share of the node: each pod's CPU limit (3 x 300m of the 2-core node) and its
 * concurrency (docs/workers.md, Priority).
 */
const WORKER_CPU_LIMIT = '100m';
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

describeOnRealNode(
  status,
  'real node: the worker pool scales on Kafka lag and leaves chat alone',
  (nodeName) => {
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

    /** Runs a chat window and logs what the node's CPUs did meanwhile (the comparison's context). */
    const measured = async <T>(what: string, window: () => Promise<T>): Promise<T> => {
      const [cpu0, m0, t0] = [await podCpuSeconds(core, namespace), await machineBusy(), Date.now()];
      const result = await window();
      const [cpu1, m1] = [await podCpuSeconds(core, namespace), await machineBusy()];
      const seconds = (Date.now() - t0) / 1000;
      const busy = (100 * (m1.busy - m0.busy)) / (m1.total - m0.total);
      log(
        `${what}: cores used by role: ${cpuLine(cpu0, cpu1, seconds)}; machine ${busy.toFixed(0)} % busy, load ${m1.load}`,
      );
      return result;
    };

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

    it('a flood of 50,000 tasks on the same node does not raise chat p99', async () => {
      expect(await workerReplicas()).toBe(0);
      const quiet = await measured('without worker load', () => chatLoad(chatUrl, CHAT_RATE, CHAT_SECONDS));
      expect(quiet.failures).toEqual([]);

      const tally = new WorkerTally(core, namespace, NAME);
      tally.start();
      try {
        const producedFrom = Date.now();
        await produceTasks(tasksTopic, cacheTasks(`f-${suffix}`, VERSION, FLOOD_TASKS));
        log(`produced ${FLOOD_TASKS} tasks from the host in ${Date.now() - producedFrom} ms`);
        // the window starts with the whole pool at the flood (at 100m a worker pod starts slowly)
        await eventually(
          async () =>
            (await readyPods(core, namespace, WORKER_SELECTOR(NAME))).length === 3 ? true : undefined,
          'all 3 worker pods Ready',
          180_000,
        );
        expect(tally.done()).toBeGreaterThan(0);
        const pods = await core.listNamespacedPod({ namespace, labelSelector: WORKER_SELECTOR(NAME) });
        for (const p of pods.items) {
          expect(p.spec?.priorityClassName).toBe(PRIORITY_CLASS);
          expect(p.spec?.priority).toBe(-100);
        }
        const chatPods = await readyPods(
          core,
          namespace,
          `app.kubernetes.io/name=chatbot,app.kubernetes.io/instance=${NAME}`,
        );
        expect(chatPods.every((p) => p.node === nodeName)).toBe(true);

        const doneBefore = tally.done();
        const windowFrom = Date.now();
        const loaded = await measured('during the flood', () =>
          chatLoad(chatUrl, CHAT_RATE, CHAT_SECONDS, () => tally.done() >= FLOOD_TASKS),
        );
        const windowSeconds = (Date.now() - windowFrom) / 1000;
        const doneInWindow = tally.done() - doneBefore;
        const readyAfter = (await readyPods(core, namespace, WORKER_SELECTOR(NAME))).length;
        expect(loaded.failures).toEqual([]);

        const [q50, q99, l50, l99] = [
          percentile(quiet.latenciesMs, 50),
          percentile(quiet.latenciesMs, 99),
          percentile(loaded.latenciesMs, 50),
          percentile(loaded.latenciesMs, 99),
        ];
        log(
          `chat without worker load: p50 ${q50.toFixed(1)} ms, p99 ${q99.toFixed(1)} ms (${quiet.latenciesMs.length} turns)`,
        );
        log(
          `chat during the flood:    p50 ${l50.toFixed(1)} ms, p99 ${l99.toFixed(1)} ms (${loaded.latenciesMs.length} turns)`,
        );
        log(
          `tasks done during the chat window: ${doneInWindow} in ${windowSeconds.toFixed(1)} s ` +
            `(${doneBefore} before it; ${readyAfter} worker pods Ready at its end, concurrency ${WORKER_CONCURRENCY}, cpu limit ${WORKER_CPU_LIMIT} each)`,
        );
        // the flood was being worked through for the whole window (it ends with the flood), and for
        // long enough: a window the flood left within 5 s would measure chat alone
        expect(doneInWindow).toBeGreaterThan(0);
        expect(loaded.latenciesMs.length).toBeGreaterThanOrEqual(MIN_FLOOD_TURNS);
        expect(l99).toBeLessThanOrEqual(Math.max(2 * q99, q99 + 50));

        const restFrom = Date.now();
        const rest = FLOOD_TASKS - tally.done();
        await eventually(
          async () => (tally.done() >= FLOOD_TASKS ? true : undefined),
          'the flood done',
          240_000,
        );
        const perPod = rest / ((Date.now() - restFrom) / 1000) / tally.mostReady;
        log(`flood: ${FLOOD_TASKS} tasks done ${Date.now() - producedFrom} ms after the first was produced`);
        log(
          rest > 0
            ? `after the window: ${rest} tasks at ${perPod.toFixed(0)} tasks/s per worker pod (${tally.mostReady} pods)`
            : 'the flood ended within the chat window, which ended with it',
        );
      } finally {
        tally.stop();
      }
    }, 420_000);
  },
);
