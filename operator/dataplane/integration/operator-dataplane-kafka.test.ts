/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-explicit-any --
   These tests inspect raw Kubernetes JSON (kubectl -o json); typing every field would add nothing. */
/**
 * The data plane wired into the operator, end to end (Kafka topics and broker outages; Redis is
 * operator-dataplane.test.ts): the real API server + kwok of the test
 * environment, the real Kafka broker (KAFKA_BROKERS), the operator running in-process against one
 * namespace with the data plane's components (Redis, Kafka topics) registered before the autoscaler-less core.
 */
import { describe, expect, it } from '@jest/globals';
import {
  applyCr,
  condition,
  getCr,
  kubectl,
  kubectlJson,
  waitFor,
  waitReady,
} from '../../integration/support.js';
import { TOPIC_FINALIZER } from '../index.js';
import { closedPort } from '../../../e2e/support/net.js';
import { partitionsOf } from './kafka-support.js';
import {
  brokers,
  dataplaneOperator,
  deployment,
  envOf,
  kafkaBroker,
  topicsReady,
} from './operator-dataplane-support.js';

describe('data plane wired into the operator: Kafka topics', () => {
  const t = dataplaneOperator('cf-dpk');

  it('Kafka: creates the default topics, raises partitions, deletes them with deletionPolicy Delete', async () => {
    const events = `${t.ns}.topics.events`;
    const tasks = `${t.ns}.topics.tasks`;
    t.leftoverTopics.add(events).add(tasks);
    const spec = (maxReplicas: number): Record<string, unknown> => ({
      scaling: { minReplicas: 1, maxReplicas },
      workers: { enabled: false }, // this test is about the topics/events, not the worker pool
      messaging: { kafka: { bootstrapServers: brokers, deletionPolicy: 'Delete' } },
    });
    await applyCr(t.ns, 'topics', spec(2));
    const cbd = await waitFor(
      'TopicsReady=True',
      async () => {
        const c = await getCr(t.ns, 'topics');
        return condition(c, 'TopicsReady')?.status === 'True' ? c : undefined;
      },
      60_000,
    );
    expect(cbd.metadata.finalizers).toContain(TOPIC_FINALIZER);
    expect(await partitionsOf(t.admin, events)).toBe(2);
    expect(await partitionsOf(t.admin, tasks)).toBe(2);
    expect(cbd.status.topics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: events, partitions: 2, ready: true }),
        expect.objectContaining({ name: tasks, partitions: 2, ready: true }),
      ]),
    );
    const env = envOf(await deployment(t.ns, 'topics'));
    expect(env.KAFKA_BROKERS.value).toBe(brokers.join(','));
    expect(env.KAFKA_EVENTS_TOPIC.value).toBe(events);

    // Default partition count follows maxReplicas: raising it raises the partitions on the broker.
    await applyCr(t.ns, 'topics', spec(4));
    await waitFor(
      '4 partitions',
      async () => ((await partitionsOf(t.admin, events)) === 4 ? true : undefined),
      60_000,
    );
    await waitFor(
      'status.topics at 4 partitions',
      async () => {
        const topics = (await getCr(t.ns, 'topics')).status?.topics ?? [];
        return topics.every((x: any) => x.partitions === 4) && topics.length === 2 ? topics : undefined;
      },
      60_000,
    );

    await kubectl(['-n', t.ns, 'delete', 'chatbotdeployment', 'topics', '--wait=false']);
    await waitFor(
      'CR gone',
      async () =>
        (await kubectl(['-n', t.ns, 'get', 'cbd', '-o', 'name'])).includes('/topics\n') ? undefined : true,
      60_000,
    );
    await waitFor(
      'topics deleted on the broker',
      async () => {
        const listed = await t.admin.listTopics();
        return listed.includes(events) || listed.includes(tasks) ? undefined : true;
      },
      60_000,
    );
  });

  it('Kafka with deletionPolicy Retain keeps the topics after the CR is deleted', async () => {
    const events = `${t.ns}.kept.events`;
    t.leftoverTopics.add(events).add(`${t.ns}.kept.tasks`);
    await applyCr(t.ns, 'kept', {
      scaling: { minReplicas: 1, maxReplicas: 1 },
      workers: { enabled: false }, // this test is about the topics/events, not the worker pool
      messaging: { kafka: { bootstrapServers: brokers } },
    });
    const cbd = await waitFor(
      'TopicsReady=True',
      async () => {
        const c = await getCr(t.ns, 'kept');
        return condition(c, 'TopicsReady')?.status === 'True' ? c : undefined;
      },
      60_000,
    );
    expect(cbd.metadata.finalizers ?? []).not.toContain(TOPIC_FINALIZER);
    await kubectl(['-n', t.ns, 'delete', 'chatbotdeployment', 'kept', '--wait=true', '--timeout=60s']);
    expect(await partitionsOf(t.admin, events)).toBe(1);
  });

  it('an unreachable broker is TopicsReady=False/KafkaUnavailable and the Deployment is still reconciled', async () => {
    const port = await closedPort();
    await applyCr(t.ns, 'nokafka', {
      scaling: { minReplicas: 1, maxReplicas: 1 },
      workers: { enabled: false }, // this test is about the topics/events, not the worker pool
      messaging: { kafka: { bootstrapServers: [`127.0.0.1:${port}`] } },
    });
    const cbd = await waitReady(t.ns, 'nokafka');
    const topics = await waitFor(
      'TopicsReady=False',
      async () => {
        const c = condition(await getCr(t.ns, 'nokafka'), 'TopicsReady');
        return c?.status === 'False' ? c : undefined;
      },
      60_000,
    );
    expect(topics.reason).toBe('KafkaUnavailable');
    expect(condition(cbd, 'Ready')?.status).toBe('True');
    expect(envOf(await deployment(t.ns, 'nokafka')).KAFKA_BROKERS.value).toBe(`127.0.0.1:${port}`);
    // Its retries would write status later; the steady-state test below must not see them.
    await kubectl(['-n', t.ns, 'delete', 'chatbotdeployment', 'nokafka', '--wait=true', '--timeout=60s']);
  });

  it('a broker outage: TopicsReady=False/KafkaUnavailable, the bot keeps being reconciled, then recovers', async () => {
    t.leftoverTopics.add(`${t.ns}.outage.events`).add(`${t.ns}.outage.tasks`);
    await applyCr(t.ns, 'outage', {
      scaling: { minReplicas: 1, maxReplicas: 1 },
      workers: { enabled: false }, // this test is about the topics/events, not the worker pool
      messaging: { kafka: { bootstrapServers: brokers } },
    });
    await waitFor('TopicsReady=True', async () => topicsReady(t.ns, 'outage', 'True'), 60_000);
    try {
      await kafkaBroker('stop');
      // An unrelated spec change during the outage must still reach the bot Deployment.
      await kubectl([
        '-n',
        t.ns,
        'patch',
        'chatbotdeployment',
        'outage',
        '--type=merge',
        '-p',
        '{"spec":{"runtime":{"logLevel":"debug"}}}',
      ]);
      const down = await waitFor(
        'TopicsReady=False',
        async () => topicsReady(t.ns, 'outage', 'False'),
        60_000,
      );
      expect(down.reason).toBe('KafkaUnavailable');
      // The runtime settings reach the bot pods through the <name>-runtime ConfigMap (envFrom).
      await waitFor(
        'LOG_LEVEL=debug in the runtime ConfigMap',
        async () => {
          const cm = await kubectlJson(['-n', t.ns, 'get', 'configmap', 'outage-runtime']);
          return cm.data?.LOG_LEVEL === 'debug' ? true : undefined;
        },
        60_000,
      );
      // waitReady: Ready=True at the patched generation, i.e. the outage did not block the reconcile.
      const cbd = await waitReady(t.ns, 'outage', 60_000);
      expect(condition(cbd, 'Ready')?.status).toBe('True');
      expect(condition(cbd, 'TopicsReady')?.status).toBe('False');
    } finally {
      // Always bring the shared broker back, whatever failed above.
      await kafkaBroker('start');
    }
    // The unavailable backoff starts at 5 s and is capped at 60 s: recovery is seen within that.
    const up = await waitFor(
      'TopicsReady=True again',
      async () => topicsReady(t.ns, 'outage', 'True'),
      90_000,
    );
    expect(up.reason).not.toBe('KafkaUnavailable');
    expect(envOf(await deployment(t.ns, 'outage')).KAFKA_BROKERS.value).toBe(brokers.join(','));
    await kubectl(['-n', t.ns, 'delete', 'chatbotdeployment', 'outage', '--wait=true', '--timeout=60s']);
  }, 300_000);
});
