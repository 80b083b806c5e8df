/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-explicit-any --
   These tests inspect raw Kubernetes JSON (kubectl -o json); typing every field would add nothing. */
/**
 * The documented password rotation of managed Redis (docs/dataplane.md "Password"), against the real
 * API server and kwok nodes: deleting `<cr>-redis-auth` makes the operator (its Secret informer)
 * recreate it at once with a new password and a Normal Event RedisPasswordGenerated; the bot pods
 * roll to it once the Redis pod has restarted with it; and afterwards a steady state sends nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Registry } from 'prom-client';
import {
  applyCr,
  condition,
  createNamespace,
  deleteNamespace,
  getCr,
  installCrd,
  kubectl,
  kubectlJson,
  metricValue,
  reconcileWrites,
  startInProcess,
  waitFor,
  waitReady,
} from '../../integration/support.js';
import type { InProcessOperator } from '../../integration/support.js';
import { dataplaneComponents } from './components.js';
import { ANNOTATION_REDIS_PASSWORD } from '../redis/password-rotation.js';

const NAME = 'rot';
const SECRET = `${NAME}-redis-auth`;

async function secret(ns: string): Promise<any> {
  return kubectlJson(['-n', ns, 'get', 'secret', SECRET]);
}

function passwordOf(s: any): string {
  return Buffer.from(String(s.data.password), 'base64').toString('utf8');
}

async function templateStamp(ns: string): Promise<string | undefined> {
  const dep = await kubectlJson(['-n', ns, 'get', 'deployment', NAME]);
  return dep.spec.template.metadata.annotations?.[ANNOTATION_REDIS_PASSWORD];
}

async function generatedEvents(ns: string): Promise<any[]> {
  const list = await kubectlJson(['-n', ns, 'get', 'events.events.k8s.io']);
  return (list.items ?? []).filter(
    (e: any) => e.reason === 'RedisPasswordGenerated' && e.regarding?.name === NAME,
  );
}

/** Reads and writes of reconciling (Lease and Event writes left out), by `verb kind`. */
async function requests(registry: Registry): Promise<number> {
  const m = registry.getSingleMetric('chatfleet_operator_kube_reads_total');
  const reads = (m ? (await m.get()).values : [])
    .filter((v) => v.labels.kind !== 'Lease')
    .reduce((s, v) => s + v.value, 0);
  return reads + (await reconcileWrites(registry));
}

async function drained(registry: Registry): Promise<boolean> {
  return (
    (await metricValue(registry, 'chatfleet_operator_workqueue_inflight')) === 0 &&
    (await metricValue(registry, 'chatfleet_operator_workqueue_depth')) === 0
  );
}

/** The Redis pod's container start, once it runs (kwok marks it running). */
async function redisStartedAt(ns: string): Promise<string | undefined> {
  const pod = await kubectlJson(['-n', ns, 'get', 'pod', `${NAME}-redis-0`]).catch(() => undefined);
  const c = (pod?.status?.containerStatuses ?? []).find((s: any) => s.name === 'redis');
  return c?.state?.running?.startedAt;
}

describe('managed Redis password rotation (real API server, kwok)', () => {
  let ns: string;
  let operator: InProcessOperator;

  beforeAll(async () => {
    await installCrd();
    ns = await createNamespace('h2del-pw');
    operator = await startInProcess(ns, {}, [...dataplaneComponents({ topicOwnershipNamespace: ns })]);
    await applyCr(ns, NAME, { scaling: { minReplicas: 1, maxReplicas: 2 } });
    await waitReady(ns, NAME);
    await waitFor(
      'RedisReady=True',
      async () => condition(await getCr(ns, NAME), 'RedisReady')?.status === 'True',
      90_000,
    );
  }, 150_000);

  afterAll(async () => {
    await operator?.stop();
    if (ns) await deleteNamespace(ns);
  });

  it('stamps the bot pods with the Secret they start with, and says it generated the password', async () => {
    const first = await secret(ns);
    expect(first.metadata.labels['app.kubernetes.io/managed-by']).toBe('chatfleet-operator');
    const stamp = await templateStamp(ns);
    expect(stamp).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(await kubectlJson(['-n', ns, 'get', 'deployment', NAME]))).not.toContain(
      passwordOf(first),
    );
    const events = await waitFor('a RedisPasswordGenerated Event', async () => {
      const e = await generatedEvents(ns);
      return e.length > 0 ? e : undefined;
    });
    expect(events[0].type).toBe('Normal');
  });

  it('deleting the Secret: recreated within seconds with a new password; the bots roll once Redis restarted', async () => {
    const before = await secret(ns);
    const stampBefore = await templateStamp(ns);
    const eventsBefore = (await generatedEvents(ns)).length;
    // Timestamps have 1 s resolution: a Redis container started in the second the new Secret is
    // created counts as running with it (botPasswordStamp). Keep this start clearly before.
    const redisStarted = await waitFor('the Redis pod running', () => redisStartedAt(ns), 60_000);
    const wait = Date.parse(redisStarted) + 2500 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await kubectl(['-n', ns, 'delete', 'secret', SECRET]);
    const deletedAt = Date.now();
    const after = await waitFor(
      'the password Secret recreated',
      async () => {
        const s = await secret(ns).catch(() => undefined);
        return s && s.metadata.uid !== before.metadata.uid ? s : undefined;
      },
      10_000,
    );
    const recreatedInMs = Date.now() - deletedAt;
    process.stdout.write(`password Secret recreated ${recreatedInMs} ms after its deletion\n`);
    expect(recreatedInMs).toBeLessThan(5_000);
    expect(passwordOf(after)).not.toBe(passwordOf(before));
    expect(after.metadata.ownerReferences[0]).toMatchObject({ kind: 'ChatbotDeployment', name: NAME });
    const rotated = await waitFor('a second RedisPasswordGenerated Event', async () => {
      const e = await generatedEvents(ns);
      return e.length > eventsBefore ? e.find((x: any) => String(x.note).includes('was missing')) : undefined;
    });
    expect(rotated.type).toBe('Normal');

    // Redis still runs with the old password: the bot pods keep it (rolling them now would have
    // every new pod refused by Redis).
    await new Promise((r) => setTimeout(r, 3000));
    expect(await templateStamp(ns)).toBe(stampBefore);

    // The documented step: restart the Redis pods. Then the bot Deployment rolls by itself.
    await kubectl(['-n', ns, 'delete', 'pod', `${NAME}-redis-0`, '--wait=true', '--timeout=60s']);
    await waitFor(
      'the Redis pod running again',
      async () => {
        const started = await redisStartedAt(ns);
        return (
          started !== undefined && Date.parse(started) >= Date.parse(String(after.metadata.creationTimestamp))
        );
      },
      60_000,
    );
    const stampAfter = await waitFor(
      'the bot pod template to carry the new stamp',
      async () => {
        const s = await templateStamp(ns);
        return s !== stampBefore ? s : undefined;
      },
      30_000,
    );
    expect(stampAfter).toMatch(/^[0-9a-f]{16}$/);
  }, 150_000);

  it('after the rotation a steady state sends no request', async () => {
    const { registry } = operator;
    await waitFor('work queue drained', () => drained(registry), 60_000);
    await new Promise((r) => setTimeout(r, 3000));
    const before = await requests(registry);
    const reconcilesBefore = await metricValue(registry, 'chatfleet_operator_reconcile_total');
    for (let i = 0; i < 3; i++) {
      await kubectl(['-n', ns, 'annotate', '--overwrite', `cbd/${NAME}`, `test.chatfleet.io/poke=${i}`]);
      await waitFor(
        'the poke reconciled',
        async () =>
          (await metricValue(registry, 'chatfleet_operator_reconcile_total')) > reconcilesBefore + i,
      );
    }
    await waitFor('work queue drained', () => drained(registry));
    expect((await requests(registry)) - before).toBe(0);
  }, 90_000);
});
