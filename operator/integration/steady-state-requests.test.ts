/* eslint-disable @typescript-eslint/no-unsafe-member-access --
   condition() returns raw Kubernetes JSON (kubectl -o json); typing it would add nothing. */
/**
 * What a fleet at steady state costs the API server, counted by the operator itself
 * (chatfleet_operator_kube_reads_total, chatfleet_operator_kube_writes_total): the real API server and
 * kwok nodes of the test environment, the operator in-process with the data plane (managed standalone
 * Redis: StatefulSet, Services, PDB, password Secret) and the rollout component (routing ConfigMap,
 * Role, RoleBinding), the Kafka topics and the worker pool (Deployment <name>-worker, its lag read from
 * the real broker), as main.ts wires them. Reconciles are woken by metadata-only changes of the CR
 * and of the Redis StatefulSet, which change no desired state: each must issue no GET, no LIST and no
 * write. The Lease (leader election, per operator not per fleet) is left out of the count.
 */
import { describe, expect, it } from '@jest/globals';
import type { Registry } from 'prom-client';
import {
  condition,
  getCr,
  applyCr,
  kubectl,
  metricValue,
  reconcileWrites,
  waitFor,
  waitReady,
  withOperatorNamespace,
} from './support.js';
import { KafkaTopicsComponent, RedisComponent } from '../dataplane/index.js';
import { createRolloutComponent } from '../rollout/component.js';
import { KafkaWorkerLagSource } from '../workers/lag-source.js';
import { LAG_POLL_MS, WorkersComponent } from '../workers/index.js';
import { requireKafkaBrokers } from './support.js';
import { Registry as PromRegistry } from 'prom-client';

const POKES = 5;

/** Reads by `verb kind` (Lease left out), e.g. {'get Role': 3}. */
async function reads(registry: Registry): Promise<Record<string, number>> {
  const m = registry.getSingleMetric('chatfleet_operator_kube_reads_total');
  const out: Record<string, number> = {};
  for (const v of m ? (await m.get()).values : []) {
    if (v.labels.kind === 'Lease') continue;
    const k = `${String(v.labels.verb)} ${String(v.labels.kind)}`;
    out[k] = (out[k] ?? 0) + v.value;
  }
  return out;
}

function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v !== (before[k] ?? 0)) out[k] = v - (before[k] ?? 0);
  return out;
}

const reconciles = (registry: Registry): Promise<number> =>
  metricValue(registry, 'chatfleet_operator_reconcile_total');

async function drained(registry: Registry): Promise<boolean> {
  return (
    (await metricValue(registry, 'chatfleet_operator_workqueue_inflight')) === 0 &&
    (await metricValue(registry, 'chatfleet_operator_workqueue_depth')) === 0
  );
}

/** Waits until reconciling has gone quiet: queue empty and no write for `quietMs`. */
async function quiet(registry: Registry, quietMs = 3000): Promise<void> {
  let last = await reconcileWrites(registry);
  let since = Date.now();
  await waitFor(
    'no write for a while',
    async () => {
      const now = await reconcileWrites(registry);
      if (now !== last || !(await drained(registry))) {
        last = now;
        since = Date.now();
        return false;
      }
      return Date.now() - since >= quietMs;
    },
    60_000,
  );
}

describe('a fleet at steady state issues no GET, LIST or write per reconcile', () => {
  let redis: RedisComponent | undefined;
  let topics: KafkaTopicsComponent | undefined;
  let workers: WorkersComponent | undefined;
  const name = 'steady';
  const brokers = requireKafkaBrokers();
  const env = withOperatorNamespace('cf-steady', {
    components: (ns) => [
      (client, caches) => (redis = new RedisComponent(client, { caches })),
      (client) => (topics = new KafkaTopicsComponent(client, { topicOwnershipNamespace: ns })),
      (client, caches) =>
        (workers = new WorkersComponent(client, { lag: new KafkaWorkerLagSource(client), caches })),
      createRolloutComponent({ registry: new PromRegistry() }),
    ],
  });

  it('gets Ready with managed Redis, the rollout children and the worker pool', async () => {
    await applyCr(env.ns, name, {
      scaling: { minReplicas: 1, maxReplicas: 2 },
      // Delete: the topics go with the CR at the end, not left on the shared broker.
      messaging: { kafka: { bootstrapServers: brokers, deletionPolicy: 'Delete' } },
      workers: { minReplicas: 1, maxReplicas: 2 },
    });
    await waitReady(env.ns, name);
    await waitFor(
      'RedisReady=True',
      async () => condition(await getCr(env.ns, name), 'RedisReady')?.status === 'True',
      90_000,
    );
    await waitFor(
      'WorkersReady=True',
      async () => condition(await getCr(env.ns, name), 'WorkersReady')?.status === 'True',
      90_000,
    );
    const kinds = 'statefulset,secret,role,rolebinding,deployment';
    const names = (await kubectl(['-n', env.ns, 'get', kinds, '-o', 'name'])).split('\n').filter(Boolean);
    expect(names).toEqual(
      expect.arrayContaining([
        `statefulset.apps/${name}-redis`,
        `secret/${name}-redis-auth`,
        `role.rbac.authorization.k8s.io/${name}-routing-reader`,
        `rolebinding.rbac.authorization.k8s.io/${name}-routing-reader`,
        `deployment.apps/${name}-worker`,
      ]),
    );
  }, 120_000);

  it(`${POKES} reconciles woken by the CR, the StatefulSet and a lag read: 0 GETs, 0 LISTs, 0 writes`, async () => {
    const { registry } = env.operator;
    await quiet(registry);
    const readsBefore = await reads(registry);
    const writesBefore = await reconcileWrites(registry);
    const reconcilesBefore = await reconciles(registry);
    for (let i = 0; i < POKES; i++) {
      await kubectl(['-n', env.ns, 'annotate', '--overwrite', `cbd/${name}`, `test.chatfleet.io/poke=${i}`]);
      await waitFor('the poke reconciled', async () => (await reconciles(registry)) > reconcilesBefore + i);
    }
    // The StatefulSet informer wakes the fleet too (before, readiness was polled every 5 s with a GET).
    const stsReconciles = await reconciles(registry);
    await kubectl([
      '-n',
      env.ns,
      'annotate',
      '--overwrite',
      `statefulset/${name}-redis`,
      'test.chatfleet.io/poke=1',
    ]);
    await waitFor(
      'the StatefulSet event reconciled',
      async () => (await reconciles(registry)) > stsReconciles,
    );
    // The worker pool reads its lag every LAG_POLL_MS (a requeue, a reconcile of its own): one such
    // read falls inside the window, and with the lag unchanged it must write nothing either.
    await new Promise((resolve) => setTimeout(resolve, LAG_POLL_MS + 2000));
    await waitFor('work queue drained', () => drained(registry));
    const n = (await reconciles(registry)) - reconcilesBefore;
    const got = delta(await reads(registry), readsBefore);
    const writes = (await reconcileWrites(registry)) - writesBefore;
    process.stdout.write(
      `steady state: ${n} reconciles of 1 fleet; reads ${JSON.stringify(got)}; writes ${writes}\n`,
    );
    expect(n).toBeGreaterThanOrEqual(POKES + 2);
    expect({ reads: got, writes }).toEqual({ reads: {}, writes: 0 });
  }, 120_000);

  it('forgets the fleet once it is deleted', async () => {
    expect(redis?.fleetsTracked).toBe(1);
    await kubectl(['-n', env.ns, 'delete', 'cbd', name, '--wait=true', '--timeout=60s']);
    await waitFor(
      'the data plane forgot the fleet',
      async () => redis?.fleetsTracked === 0 && topics?.fleetsTracked === 0 && workers?.fleetsTracked === 0,
      30_000,
    );
  }, 90_000);
});
