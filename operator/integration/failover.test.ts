/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return --
   These tests inspect raw Kubernetes JSON (kubectl -o json, built manifests); typing every field would add nothing. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  applyCr,
  createNamespace,
  deleteNamespace,
  installCrd,
  kubectl,
  leaseHolder,
  SHORT_LEASE,
  SHORT_LEASE_MS,
  SHORT_RETRY_MS,
  startChild,
  stopChild,
  sumMetric,
  waitFor,
  waitReady,
} from './support.js';
import type { ChildOperator } from './support.js';

// Operators run as separate processes (what `npm start` runs), so they can be SIGKILLed.
// Short lease timings keep the test quick (SHORT_LEASE): lease 4 s, renew deadline 3 s, retry 1 s.

const reconciles = (m: Map<string, number>): number => sumMetric(m, 'chatfleet_operator_reconcile_total');
const writes = (m: Map<string, number>): number =>
  sumMetric(m, 'chatfleet_operator_kube_writes_total', /kind="(Lease|Event)"/);

describe('operator failover', () => {
  const started: ChildOperator[] = [];
  const namespaces: string[] = [];

  beforeAll(async () => {
    await installCrd();
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((c) => stopChild(c, 'SIGKILL')));
  });

  afterAll(async () => {
    await Promise.all(namespaces.map(deleteNamespace));
  });

  async function start(
    ns: string,
    identity: string,
    flags: Record<string, string> = {},
  ): Promise<ChildOperator> {
    const c = await startChild(ns, identity, { ...SHORT_LEASE, ...flags });
    started.push(c);
    return c;
  }

  it('converges after the operator is killed in the middle of work and restarted', async () => {
    const ns = await createNamespace('cf-kill');
    namespaces.push(ns);
    const first = await start(ns, 'first', { concurrency: '1' });
    const names = Array.from({ length: 20 }, (_, i) => `fleet-${i}`);
    await Promise.all(names.map((n) => applyCr(ns, n, { scaling: { minReplicas: 1 } })));
    await waitFor(
      'first Deployment applied',
      async () =>
        sumMetric(
          await first.metrics(),
          'chatfleet_operator_kube_writes_total{verb="apply",kind="Deployment"}',
        ) >= 1,
    );
    await stopChild(first, 'SIGKILL');
    const deploymentsAtKill = (await kubectl(['-n', ns, 'get', 'deployments', '-o', 'name']))
      .split('\n')
      .filter(Boolean).length;
    expect(deploymentsAtKill).toBeLessThan(names.length); // really mid-work

    await start(ns, 'second');
    for (const n of names) await waitReady(ns, n);
    const deployments = (await kubectl(['-n', ns, 'get', 'deployments', '-o', 'name']))
      .split('\n')
      .filter(Boolean);
    expect(deployments).toHaveLength(names.length);
    expect((await leaseHolder(ns)).holderIdentity).toBe('second');
  });

  it('lets only the leader reconcile, and a standby takes over within the lease duration', async () => {
    const ns = await createNamespace('cf-ha');
    namespaces.push(ns);
    const a = await start(ns, 'op-a');
    await waitFor('op-a leads', async () => (await leaseHolder(ns))?.holderIdentity === 'op-a');
    const b = await start(ns, 'op-b');
    for (const n of ['one', 'two']) await applyCr(ns, n, { scaling: { minReplicas: 1 } });
    await waitReady(ns, 'one');
    await waitReady(ns, 'two');

    const [ma, mb] = [await a.metrics(), await b.metrics()];
    expect(ma.get('chatfleet_operator_leader')).toBe(1);
    expect(reconciles(ma)).toBeGreaterThan(0);
    expect(writes(ma)).toBeGreaterThan(0);
    expect(mb.get('chatfleet_operator_leader')).toBe(0);
    expect(reconciles(mb)).toBe(0);
    expect(writes(mb)).toBe(0);

    const lastByA = await leaseHolder(ns);
    await stopChild(a, 'SIGKILL');
    const taken = await waitFor(
      'op-b takes the lease',
      async () => {
        const spec = await leaseHolder(ns);
        return spec?.holderIdentity === 'op-b' ? spec : undefined;
      },
      30_000,
    );
    // op-b may take over only after a full lease duration without renewal, and must not wait
    // much longer: at most lease + one retry period after the last renewal it could have seen
    // (+2 s for process scheduling and API latency on a shared 2-core machine).
    const handover = Date.parse(taken.acquireTime) - Date.parse(lastByA.renewTime);
    expect(handover).toBeGreaterThanOrEqual(SHORT_LEASE_MS - SHORT_RETRY_MS);
    expect(handover).toBeLessThanOrEqual(SHORT_LEASE_MS + 2 * SHORT_RETRY_MS + 2000);
    expect(taken.leaseTransitions).toBeGreaterThanOrEqual(1);

    await applyCr(ns, 'three', { scaling: { minReplicas: 1 } });
    await waitReady(ns, 'three');
    const after = await b.metrics();
    expect(after.get('chatfleet_operator_leader')).toBe(1);
    expect(reconciles(after)).toBeGreaterThan(0);
  });

  it('stops and exits when another holder took the lease (renew deadline passed)', async () => {
    const ns = await createNamespace('cf-steal');
    namespaces.push(ns);
    const a = await start(ns, 'op-a');
    await waitFor('op-a leads', async () => (await leaseHolder(ns))?.holderIdentity === 'op-a');
    const now = new Date().toISOString().replace('Z', '000Z');
    const steal = {
      spec: { holderIdentity: 'thief', leaseDurationSeconds: 60, renewTime: now, acquireTime: now },
    };
    await kubectl([
      '-n',
      ns,
      'patch',
      'lease',
      'chatfleet-operator',
      '--type=merge',
      '-p',
      JSON.stringify(steal),
    ]);
    expect(await a.exited).toBe(1);
    expect(a.logs.join('\n')).toMatch(/leadership lost/);
    expect((await leaseHolder(ns)).holderIdentity).toBe('thief');
  });

  it('releases the lease on graceful shutdown', async () => {
    const ns = await createNamespace('cf-release');
    namespaces.push(ns);
    const a = await start(ns, 'op-a');
    await waitFor('op-a leads', async () => (await leaseHolder(ns))?.holderIdentity === 'op-a');
    const code = await stopChild(a, 'SIGTERM');
    expect({ code, logs: code === 0 ? [] : a.logs }).toEqual({ code: 0, logs: [] });
    const spec = await leaseHolder(ns);
    expect(spec.holderIdentity ?? '').toBe('');
    expect(a.logs.join('\n')).toMatch(/released leadership/);
  });
});
