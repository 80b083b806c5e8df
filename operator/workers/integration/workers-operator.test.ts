/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-explicit-any --
   These tests inspect raw Kubernetes JSON (kubectl -o json); typing every field would add nothing. */
/**
 * The worker pool wired into the operator, end to end: the real API server + kwok of the test
 * environment, the real Kafka broker (KAFKA_BROKERS), the operator in-process with the data plane's
 * components and the WorkersComponent as main.ts registers them (lag read every second here). A fleet
 * with Kafka gets <name>-worker, the DLQ topic, the worker env and status.workers; real lag on the tasks
 * topic scales the pool from zero, capped at the partition count, and committed offsets bring it back
 * to zero; turning the workers off deletes what they had.
 */
import { describe, expect, it } from '@jest/globals';
import kafkajs from 'kafkajs';
import { applyCr, condition, getCr, kubectl, kubectlJson, waitFor } from '../../integration/support.js';
import { partitionsOf } from '../../dataplane/integration/kafka-support.js';
import {
  brokers,
  dataplaneOperator,
  deployment,
  envOf,
} from '../../dataplane/integration/operator-dataplane-support.js';
import { createWorkersComponent } from '../index.js';

const { Kafka, logLevel } = kafkajs;
const NAME = 'pool';

describe('worker pool wired into the operator', () => {
  const t = dataplaneOperator('cf-workers', { extra: [createWorkersComponent({ pollMs: 1000 })] });
  const tasks = (): string => `${t.ns}.${NAME}.tasks`;
  const dlq = (): string => `${t.ns}.${NAME}.tasks.dlq`;
  const group = (): string => `${t.ns}.${NAME}.workers`;
  const spec = (workers: Record<string, unknown>): Record<string, unknown> => ({
    scaling: { minReplicas: 1, maxReplicas: 2 },
    messaging: { kafka: { bootstrapServers: brokers } },
    workers,
  });
  const pool = {
    minReplicas: 0,
    maxReplicas: 3,
    targetLagPerReplica: 10,
    cooldownSeconds: 0,
    stabilizationSeconds: 0,
  };
  const statusWorkers = async (): Promise<any> => (await getCr(t.ns, NAME)).status?.workers;

  it('creates <name>-worker, the DLQ topic, the worker env and status.workers; scaled to zero without lag', async () => {
    t.leftoverTopics.add(`${t.ns}.${NAME}.events`).add(tasks()).add(dlq());
    await applyCr(t.ns, NAME, spec({ ...pool, concurrency: 8 }));
    const dep = await waitFor('the worker Deployment', async () => {
      const names = await kubectl(['-n', t.ns, 'get', 'deployment', '-o', 'name']);
      return names.includes(`deployment.apps/${NAME}-worker`)
        ? deployment(t.ns, `${NAME}-worker`)
        : undefined;
    });
    const container = dep.spec.template.spec.containers[0];
    expect(container.args).toEqual(['worker']);
    expect(container.image).toBe((await deployment(t.ns, NAME)).spec.template.spec.containers[0].image);
    expect(dep.spec.template.metadata.labels).toMatchObject({
      'app.kubernetes.io/name': 'chatbot-worker',
      'app.kubernetes.io/component': 'worker',
    });
    const env = envOf(dep);
    expect(env.KAFKA_TASKS_GROUP.value).toBe(group());
    expect(env.KAFKA_TASKS_TOPIC.value).toBe(tasks());
    expect(env.KAFKA_DLQ_TOPIC.value).toBe(dlq());
    expect(env.WORKER_CONCURRENCY.value).toBe('8');
    expect(env.REDIS_URL.value).toBe(envOf(await deployment(t.ns, NAME)).REDIS_URL.value);
    // Not selected by the chat Service: the fleet's endpoints never list a worker pod.
    const svc = await kubectlJson(['-n', t.ns, 'get', 'service', NAME]);
    expect(svc.spec.selector['app.kubernetes.io/name']).toBe('chatbot');
    expect(await waitFor('DLQ topic on the broker', async () => partitionsOf(t.admin, dlq()))).toBe(3);
    expect(await partitionsOf(t.admin, tasks())).toBe(3); // max(scaling 2, workers 3)
    const status = await waitFor('status.workers with a lag reading', async () => {
      const s = await statusWorkers();
      return s?.lag !== undefined ? s : undefined;
    });
    expect(status).toMatchObject({ desiredReplicas: 0, lag: 0, partitions: 3, replicas: 0 });
    expect(condition(await getCr(t.ns, NAME), 'WorkersReady')).toMatchObject({
      status: 'True',
      reason: 'ScaledToZero',
    });
    expect(dep.spec.replicas).toBe(0);
  }, 120_000);

  it('real lag scales from zero, capped at the partitions; committed offsets bring it back to zero', async () => {
    const kafka = new Kafka({ clientId: 'workers-it', brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    let sentAt = 0;
    await producer.connect();
    try {
      const messages = Array.from({ length: 100 }, (_, i) => ({
        key: `k${i}`,
        value: JSON.stringify({ i }),
      }));
      await producer.send({ topic: tasks(), messages });
      sentAt = Date.now();
    } finally {
      await producer.disconnect();
    }
    const up = await waitFor(
      'scaled from zero to the partition count',
      async () => {
        const s = await statusWorkers();
        return s?.desiredReplicas === 3 ? s : undefined;
      },
      60_000,
    );
    expect(up.lag).toBe(100); // ceil(100 / 10) = 10 wanted, 3 partitions and maxReplicas 3
    expect(['CappedAtPartitions', 'CappedAtMaxReplicas', 'ScaledFromZero']).toContain(up.reason);
    expect(up.lastScaleTime).toBeDefined();
    await waitFor('the Deployment at 3', async () =>
      (await deployment(t.ns, `${NAME}-worker`)).spec.replicas === 3 ? true : undefined,
    );
    // One lag read per second here (15 s in production): the figure is read interval + reconcile.
    process.stdout.write(`first lag to worker Deployment at 3 replicas: ${Date.now() - sentAt} ms\n`);
    const events = await kubectlJson([
      '-n',
      t.ns,
      'get',
      'events',
      '--field-selector',
      'reason=WorkersScaled',
    ]);
    expect(events.items.length).toBeGreaterThanOrEqual(1);

    // The workers' consumer group catches up (set here through the admin API: kwok pods run no process).
    const ends = await t.admin.fetchTopicOffsets(tasks());
    await t.admin.setOffsets({
      groupId: group(),
      topic: tasks(),
      partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })),
    });
    const down = await waitFor(
      'cooled down to zero',
      async () => {
        const s = await statusWorkers();
        return s?.desiredReplicas === 0 ? s : undefined;
      },
      60_000,
    );
    expect(down.lag).toBe(0);
    // The step to zero is CooledDownToZero; the reads after it (every second here) say AtMinReplicas.
    expect(['CooledDownToZero', 'AtMinReplicas']).toContain(down.reason);
    const scaled = await kubectlJson([
      '-n',
      t.ns,
      'get',
      'events',
      '--field-selector',
      'reason=WorkersScaled',
    ]);
    const notes = scaled.items.map((e: any) => String(e.message ?? e.note));
    expect(notes.some((n: string) => n.includes('3 -> 0 (CooledDownToZero)'))).toBe(true);
  }, 150_000);

  it('turning the workers off deletes the worker Deployment and status.workers', async () => {
    await applyCr(t.ns, NAME, spec({ ...pool, minReplicas: 2, enabled: true }));
    await waitFor('the worker PDB (minReplicas 2)', async () =>
      (await kubectl(['-n', t.ns, 'get', 'pdb', '-o', 'name'])).includes(`/${NAME}-worker`)
        ? true
        : undefined,
    );
    await applyCr(t.ns, NAME, spec({ enabled: false }));
    await waitFor('worker objects gone', async () => {
      const names = await kubectl(['-n', t.ns, 'get', 'deployment,pdb', '-o', 'name']);
      return names.includes(`/${NAME}-worker`) ? undefined : true;
    });
    const cbd = await waitFor('status.workers gone', async () => {
      const c = await getCr(t.ns, NAME);
      return c.status?.workers === undefined && !condition(c, 'WorkersReady') ? c : undefined;
    });
    expect(condition(cbd, 'Ready')?.status).toBe('True');
    // The bot Deployment is untouched.
    expect((await deployment(t.ns, NAME)).spec.template.spec.containers[0].name).toBe('bot');
  }, 120_000);
});
