/* eslint-disable @typescript-eslint/no-unsafe-member-access --
   These tests inspect raw Kubernetes JSON (kubectl -o json); typing every field would add nothing. */
/**
 * Topic deletions that finish, end to end (ownership: topic-ownership.test.ts): the operator in-process with the
 * KafkaTopicsComponent, the REAL API server of the test environment and its REAL Kafka broker.
 * - a pre-existing topic with data and its own retention, named by a CR with deletionPolicy Delete:
 *   TopicNotOwned, never changed, and deleting the CR leaves topic, config and messages intact;
 * - two CRs naming one topic: TopicConflict naming the owner; adopt after the owner is gone;
 * - a CR whose broker became unreachable is deleted: the finalizer is released within the
 *   configured bound (--topic-deletion-timeout-seconds=20) with a Warning naming the topics;
 * - topics are created only once the finalizer is stored.
 * Claims live in the test namespace (--topic-ownership-namespace defaults to the Lease namespace).
 */
import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { applyCr, createNamespace, getCr, kubectl, waitFor } from '../../integration/support.js';
import { KubeClient } from '../../kube/client.js';
import { loadKubeConfig } from '../../kube/kubeconfig.js';
import type { ChatbotDeployment } from '../../workload/types.js';
import { KafkaTopicsComponent, TOPIC_FINALIZER } from '../index.js';
import { closedPort } from '../../../e2e/support/net.js';
import { releaseAndDeleteNamespace, setFinalizers } from './kafka-support.js';
import {
  applyUntil,
  BOUND_SECONDS,
  brokers,
  claimedTopics,
  crGone,
  eventField,
  ownershipOperator,
} from './topic-ownership-support.js';

describe('Kafka topic deletions that finish (operator, real broker)', () => {
  const t = ownershipOperator('cf-del');

  it('a CR whose broker is gone is deleted within the bound, with a Warning naming the topics left behind', async () => {
    const events = `${t.ns}.lost.events`;
    const tasks = `${t.ns}.lost.tasks`;
    t.leftoverTopics.add(events).add(tasks);
    const spec = (servers: string[]) => ({
      scaling: { minReplicas: 1, maxReplicas: 1 },
      workers: { enabled: false }, // this test is about the topics/events, not the worker pool
      messaging: { kafka: { bootstrapServers: servers, deletionPolicy: 'Delete' } },
    });
    await applyUntil(t.ns, 'lost', spec(brokers), 'Ready');
    expect(await claimedTopics(t.ns)).toEqual(expect.arrayContaining([events, tasks]));

    // The broker goes away (a closed loopback port), then the CR is deleted.
    const port = await closedPort();
    await applyUntil(t.ns, 'lost', spec([`127.0.0.1:${port}`]), 'KafkaUnavailable');
    const started = Date.now();
    await kubectl(['-n', t.ns, 'delete', 'cbd', 'lost', '--wait=false']);
    // Still held while the bound runs: deletion retries first.
    await new Promise((r) => setTimeout(r, 8000));
    expect(await crGone(t.ns, 'lost')).toBe(false);
    await waitFor('CR lost gone', async () => crGone(t.ns, 'lost'), (BOUND_SECONDS + 25) * 1000);
    const tookMs = Date.now() - started;
    // deletionTimestamp has second precision: the bound may end up to 1 s early.
    expect(tookMs).toBeGreaterThanOrEqual((BOUND_SECONDS - 1) * 1000);
    expect(tookMs).toBeLessThanOrEqual((BOUND_SECONDS + 25) * 1000);
    const warning = await waitFor(
      'TopicsLeftBehind event',
      async () => (await eventField(t.ns, 'lost', 'TopicsLeftBehind')) || undefined,
      10_000,
    );
    expect(warning).toContain(events);
    expect(warning).toContain(tasks);
    expect(warning).toContain(`after ${BOUND_SECONDS} s`);
    const type = await eventField(t.ns, 'lost', 'TopicsLeftBehind', '{.items[0].type}');
    expect(type).toBe('Warning');
    // Left behind means still there, with the claim saying who made them.
    const listed = await t.admin.listTopics();
    expect(listed).toEqual(expect.arrayContaining([events, tasks]));
    expect(await claimedTopics(t.ns)).toEqual(expect.arrayContaining([events, tasks]));
    process.stdout.write(
      `topic-ownership: CR with an unreachable broker deleted after ${tookMs} ms (bound ${BOUND_SECONDS} s)\n`,
    );
  }, 180_000);

  it('a CR that never reached its broker owns nothing, so its deletion does not wait', async () => {
    const port = await closedPort();
    await applyUntil(
      t.ns,
      'never',
      {
        scaling: { minReplicas: 1, maxReplicas: 1 },
        workers: { enabled: false }, // this test is about the topics/events, not the worker pool
        messaging: { kafka: { bootstrapServers: [`127.0.0.1:${port}`], deletionPolicy: 'Delete' } },
      },
      'KafkaUnavailable',
    );
    expect((await getCr(t.ns, 'never')).metadata.finalizers).toContain(TOPIC_FINALIZER);
    const started = Date.now();
    await kubectl(['-n', t.ns, 'delete', 'cbd', 'never', '--wait=false']);
    await waitFor('CR never gone', async () => crGone(t.ns, 'never'), 15_000);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await eventField(t.ns, 'never', 'TopicsLeftBehind')).toBe('');
  });

  it('topics are created only once the finalizer is stored', async () => {
    // The component on its own, on a real CR of a namespace the in-process operator does not watch.
    const other = await createNamespace('cf-own-fin');
    const { kc } = loadKubeConfig(process.env);
    const client = await KubeClient.create(kc);
    try {
      const events = `${other}.early.events`;
      const tasks = `${other}.early.tasks`;
      t.leftoverTopics.add(events).add(tasks);
      await applyCr(other, 'early', {
        scaling: { minReplicas: 1, maxReplicas: 1 },
        sessions: { redis: { mode: 'external', secretRef: { name: 'none' } } },
        workers: { enabled: false }, // this test is about the topics/events, not the worker pool
        messaging: { kafka: { bootstrapServers: brokers, deletionPolicy: 'Delete' } },
      });
      const early = (await getCr(other, 'early')) as ChatbotDeployment;
      expect(early.metadata.finalizers ?? []).not.toContain(TOPIC_FINALIZER);
      const component = new KafkaTopicsComponent(client, { topicOwnershipNamespace: other });
      const ctx = (c: ChatbotDeployment) => ({
        cbd: c,
        log: pino({ level: 'silent' }),
        now: new Date(),
        deployment: undefined,
        pods: [],
      });
      const first = await component.reconcile(ctx(early));
      expect(first.finalizer).toBe(TOPIC_FINALIZER);
      expect(first.conditions?.find((c) => c.type === 'TopicsReady')).toBeUndefined();
      expect(first.requeueAfterMs).toBeLessThanOrEqual(1000);
      const listed = await t.admin.listTopics();
      expect(listed).not.toContain(events);
      expect(listed).not.toContain(tasks);
      expect(await claimedTopics(other)).toEqual([]);

      // What the reconciler does next: store the finalizer; the next pass may create topics.
      await setFinalizers(other, 'cbd/early', [TOPIC_FINALIZER]);
      const stored = (await getCr(other, 'early')) as ChatbotDeployment;
      const second = await component.reconcile(ctx(stored));
      expect(second.conditions?.find((c) => c.type === 'TopicsReady')).toMatchObject({
        status: 'True',
        reason: 'Ready',
      });
      expect(await t.admin.listTopics()).toEqual(expect.arrayContaining([events, tasks]));
      expect(await claimedTopics(other)).toEqual([events, tasks].sort());
    } finally {
      await releaseAndDeleteNamespace(other);
      client.close();
    }
  });
});
