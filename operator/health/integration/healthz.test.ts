/**
 * /healthz of the real operator (in process, against the REAL API server): healthy while reconciles
 * finish, 500 naming the fleet once one reconcile has been stuck longer than
 * --liveness-reconcile-seconds, healthy again when it ends. The stuck reconcile is a component that
 * waits on a promise the test controls, like a network call without a deadline used to.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Contribution, FleetComponent } from '../../controller/component.js';
import {
  applyCr,
  createNamespace,
  deleteNamespace,
  installCrd,
  startInProcess,
  waitFor,
  type InProcessOperator,
} from '../../integration/support.js';

let ns = '';
let operator: InProcessOperator | undefined;
let release: () => void = () => undefined;
const hung = new Set<string>();
let entered = 0;

/** Reconciles of fleets named `hang-*` wait until the test releases them. */
const hanging: FleetComponent = {
  name: 'hang',
  async reconcile(ctx): Promise<Contribution> {
    if (!(ctx.cbd.metadata.name ?? '').startsWith('hang-')) return {};
    entered++;
    hung.add(ctx.cbd.metadata.name ?? '');
    await new Promise<void>((resolve) => {
      const previous = release;
      release = () => {
        previous();
        resolve();
      };
    });
    return {};
  },
};

async function healthz(): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${operator?.op.healthPort}/healthz`, {
    signal: AbortSignal.timeout(5_000),
  });
  return { status: res.status, body: await res.text() };
}

beforeAll(async () => {
  await installCrd();
  ns = await createNamespace('healthz');
  operator = await startInProcess(ns, { 'liveness-reconcile-seconds': '2' }, [hanging]);
  await waitFor('the operator to lead', async () => operator?.op.isLeader() || undefined, 30_000);
});

afterAll(async () => {
  release();
  await operator?.stop();
  if (ns) await deleteNamespace(ns);
});

describe('/healthz of the running operator', () => {
  it('is 200 while reconciles finish', async () => {
    await applyCr(ns, 'fine');
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await healthz()).toEqual({ status: 200, body: 'ok\n' });
  });

  it('is 500 naming the fleet once a reconcile is stuck past the bound, 200 again when it ends', async () => {
    await applyCr(ns, 'hang-1');
    await waitFor('the reconcile to start', async () => (entered > 0 ? true : undefined), 30_000);
    const before = await healthz();
    expect(before.status).toBe(200); // within the bound
    const failing = await waitFor(
      '/healthz to fail',
      async () => {
        const h = await healthz();
        return h.status === 500 ? h : undefined;
      },
      10_000,
    );
    expect(failing.body).toMatch(
      new RegExp(`^reconcile of ${ns}/hang-1 running for \\d+\\.\\ds \\(bound 2\\.0s\\)`),
    );
    release();
    await waitFor(
      '/healthz to recover',
      async () => ((await healthz()).status === 200 ? true : undefined),
      10_000,
    );
    expect(hung).toEqual(new Set(['hang-1']));
  });
});
