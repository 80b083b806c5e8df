/**
 * Kafka through the operator with real bot pods: the operator (a local process) creates the
 * ChatbotDeployment's topics, the bots on the real node produce a conversation event per turn
 * through the broker's pod-facing listener (KAFKA_POD_BROKERS, on the node's bridge address), and
 * this test reads every event back from the host.
 */
import { afterAll, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { consumeUntil, deleteTopic } from '../../bot-runtime/integration/support/kafka.js';
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

const status = await realNodeStatus();
const suffix = randomUUID().slice(0, 8);
const TURNS = 12;

interface Condition {
  type: string;
  status: string;
  reason: string;
}

describeOnRealNode(
  status,
  'real node: Kafka topics and conversation events from real bot pods',
  (nodeName) => {
    const kc = adminConfig();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const namespace = `rn-events-${suffix}`;
    const topics = [`${namespace}.chat.events`, `${namespace}.chat.tasks`];
    withLocalOperator(core, nodeName, namespace, [BOT_IMAGE, REDIS_IMAGE]);
    afterAll(async () => {
      for (const t of topics) await deleteTopic(t).catch(() => undefined);
    });

    it('creates the topics, and every turn of every bot pod arrives as an event', async () => {
      const podBrokers = testenvVar('KAFKA_POD_BROKERS');
      const body = realNodeChatbot('chat', `v-${suffix}`, {
        scaling: { minReplicas: 2, maxReplicas: 2 },
        sessions: { redis: { image: REDIS_IMAGE, placement: onRealNode() } },
        workers: { enabled: false }, // this test is about the topics/events, not the worker pool
        messaging: { kafka: { bootstrapServers: [podBrokers] } },
      });
      await custom.createNamespacedCustomObject({ ...CBD_API, namespace, body });

      let conditions: Condition[] | undefined;
      await eventually(
        async () => {
          const cr = (await custom.getNamespacedCustomObject({ ...CBD_API, namespace, name: 'chat' })) as {
            status?: { conditions?: Condition[] };
          };
          conditions = cr.status?.conditions;
          const isTrue = (type: string): boolean =>
            conditions?.some((c) => c.type === type && c.status === 'True') ?? false;
          return isTrue('Ready') && isTrue('TopicsReady') && isTrue('RedisReady') ? true : undefined;
        },
        'Ready, TopicsReady and RedisReady',
        240_000,
      ).catch(async (err: unknown) => {
        throw new Error(
          `${String(err)}\nconditions: ${JSON.stringify(conditions)}\n${await describePods(core, namespace)}`,
          {
            cause: err,
          },
        );
      });
      // Both bot pods have their producer connected through the pod-facing listener.
      await everyBotPod(core, namespace, 'chat', 2, (r) => r.kafka === 'connected', 'Kafka connected');

      const svc = await core.readNamespacedService({ name: 'chat', namespace });
      const sessions: string[] = [];
      for (let i = 0; i < TURNS; i++) {
        // until kube-proxy has programmed the new Service, the fence refuses its ClusterIP
        const r = await eventually(async () => {
          const res = await postJsonFresh(`http://${svc.spec?.clusterIP ?? ''}/v1/chat`, {
            message: 'hello',
          });
          return res.status === 200 ? res : undefined;
        }, 'a chat turn through the Service');
        sessions.push((r.json as { sessionId: string }).sessionId);
      }

      const seen = (values: string[]): Set<string> =>
        new Set(
          values
            .map((v) => (JSON.parse(v) as { sessionId: string }).sessionId)
            .filter((s) => sessions.includes(s)),
        );
      const values = await consumeUntil(topics[0]!, (v) => seen(v).size === TURNS, 60_000);
      expect([...seen(values)].sort()).toEqual([...sessions].sort());
      const events = values.map(
        (v) => JSON.parse(v) as { type: string; modelVersion: string; sessionId: string },
      );
      expect(events.filter((e) => sessions.includes(e.sessionId)).every((e) => e.type === 'chat.turn')).toBe(
        true,
      );
      expect(events.every((e) => e.modelVersion === `v-${suffix}`)).toBe(true);
    });
  },
);
