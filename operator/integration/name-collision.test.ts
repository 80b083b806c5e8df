/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return --
   These tests inspect raw Kubernetes JSON (kubectl -o json); typing every field would add nothing. */
import { describe, expect, it } from '@jest/globals';
import { auditEvents } from './audit.js';
import {
  applyCr,
  condition,
  getCr,
  kubectl,
  kubectlJson,
  metricValue,
  reconcileWrites,
  waitFor,
  waitReady,
  withOperatorNamespace,
} from './support.js';

// Issue 14, "No name collisions", against the real API server and garbage collector. Two fleets whose
// children share a name (CR `x` and CR `x-redis`: Service x-redis) can no longer both exist: admission
// rejects the second name. What can still collide is checked at runtime: an object of a child's name that
// another owner controls (here a Service `b-stable` controlled by fleet `a`, the shape CR `x`'s Redis Service
// has for a CR `x-redis` created before the rule) or that nobody controls (a user's own Service `z-stable`).
describe('child name collisions', () => {
  const env = withOperatorNamespace('cf-names');

  it.each(['x-redis', 'y-canary', 'z-stable', 'w-redis-headless', 'v-redis-shard-3'])(
    'rejects a ChatbotDeployment named %s at admission, naming metadata.name',
    async (name) => {
      const err = await applyCr(env.ns, name).then(
        () => undefined,
        (e: unknown) => e as { stderr?: string },
      );
      expect(err?.stderr).toMatch(
        /metadata\.name: Invalid value: ".*": metadata\.name must not end in -canary/,
      );
      await expect(kubectl(['-n', env.ns, 'get', 'cbd', name])).rejects.toThrow(/NotFound/);
    },
  );

  it('accepts names that only contain a reserved word (redis, stable-bot, c-redis-auth)', async () => {
    for (const name of ['redis', 'stable-bot', 'c-redis-auth']) {
      await kubectl(['apply', '--dry-run=server', '-f', '-'], JSON.stringify(cbd(env.ns, name)));
    }
  });

  it('leaves a Service another fleet controls alone, reports NameConflict, holds the Deployment, and writes nothing while it lasts', async () => {
    await applyCr(env.ns, 'a');
    const a = await waitReady(env.ns, 'a');
    await kubectl(['apply', '-f', '-'], JSON.stringify(contested(env.ns, 'b-stable', a)));
    await applyCr(env.ns, 'b');
    const b = await waitConflict(
      'b',
      `Service ${env.ns}/b-stable (controlled by ChatbotDeployment a (uid ${a.metadata.uid}))`,
    );
    expect(condition(b, 'Ready')).toMatchObject({ status: 'False', reason: 'NameConflict' });

    // The other children of b are applied; its Deployment is held (pods must not start without their Service).
    for (const svc of ['b', 'b-canary']) {
      const obj = await kubectlJson(['-n', env.ns, 'get', 'service', svc]);
      expect(obj.metadata.ownerReferences[0].uid).toBe(b.metadata.uid);
    }
    await expect(kubectl(['-n', env.ns, 'get', 'deployment', 'b'])).rejects.toThrow(/NotFound/);

    // ~20 s of samples while b is reconciled again and again (2 s, 4 s, 8 s, ... backoff): owner and selector never move,
    // and the conflict costs no write at all.
    const writes = await reconcileWrites(env.operator.registry);
    const reconciles = await metricValue(env.operator.registry, 'chatfleet_operator_reconcile_total');
    await sampleUnchanged('b-stable', 20_000, async (s) => {
      expect(s.metadata.ownerReferences).toEqual([
        expect.objectContaining({ uid: a.metadata.uid, controller: true }),
      ]);
      expect(s.spec.selector).toEqual({ app: 'contested-by-a' });
      expect(s.metadata.annotations?.['chatfleet.io/applied-hash']).toBeUndefined();
      const now = await getCr(env.ns, 'b');
      expect(condition(now, 'Degraded')).toMatchObject({ status: 'True', reason: 'NameConflict' });
      expect(condition(now, 'Ready')).toMatchObject({ status: 'False', reason: 'NameConflict' });
    });
    expect(
      await metricValue(env.operator.registry, 'chatfleet_operator_reconcile_total'),
    ).toBeGreaterThanOrEqual(reconciles + 2);
    expect((await reconcileWrites(env.operator.registry)) - writes).toBe(0);
    expect(await warningEvents('b')).toHaveLength(1);

    // Deleting the fleet that lost deletes its own children only.
    await kubectl(['-n', env.ns, 'delete', 'cbd', 'b', '--wait=true']);
    await waitFor('b children collected', async () =>
      (await kubectl(['-n', env.ns, 'get', 'service', 'b', '--ignore-not-found'])).trim() === ''
        ? true
        : undefined,
    );
    const kept = await kubectlJson(['-n', env.ns, 'get', 'service', 'b-stable']);
    expect(kept.metadata.ownerReferences[0].uid).toBe(a.metadata.uid);
    for (const svc of ['a', 'a-stable', 'a-canary']) await kubectl(['-n', env.ns, 'get', 'service', svc]);
  }, 180_000);

  it('converges on its own once the contested object is gone (its owner deleted)', async () => {
    const a = await getCr(env.ns, 'a');
    await applyCr(env.ns, 'b');
    await waitConflict('b', `Service ${env.ns}/b-stable`);
    await kubectl(['-n', env.ns, 'delete', 'cbd', 'a', '--wait=true']);
    const b = await waitReady(env.ns, 'b', 120_000);
    expect(condition(b, 'Degraded')).toMatchObject({ status: 'False' });
    const svc = await kubectlJson(['-n', env.ns, 'get', 'service', 'b-stable']);
    expect(svc.metadata.ownerReferences).toEqual([expect.objectContaining({ uid: b.metadata.uid })]);
    expect(svc.metadata.ownerReferences[0].uid).not.toBe(a.metadata.uid);
    expect(svc.spec.selector['app.kubernetes.io/instance']).toBe('b');
  }, 180_000);

  it('does not take over a pre-existing Service that nobody controls (z-stable), and deleting the fleet keeps it', async () => {
    const user = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'z-stable', namespace: env.ns },
      spec: { selector: { app: 'users-own' }, ports: [{ port: 8080 }] },
    };
    await kubectl(['apply', '-f', '-'], JSON.stringify(user));
    await applyCr(env.ns, 'z');
    const z = await waitConflict('z', `Service ${env.ns}/z-stable (controlled by nobody`);
    await expect(kubectl(['-n', env.ns, 'get', 'deployment', 'z'])).rejects.toThrow(/NotFound/);
    expect((await kubectlJson(['-n', env.ns, 'get', 'service', 'z'])).metadata.ownerReferences[0].uid).toBe(
      z.metadata.uid,
    );
    const reconciles = await metricValue(env.operator.registry, 'chatfleet_operator_reconcile_total');
    await sampleUnchanged('z-stable', 8_000, (s) => {
      expect(s.metadata.ownerReferences).toBeUndefined();
      expect(s.spec.selector).toEqual({ app: 'users-own' });
      expect(s.spec.ports).toEqual([expect.objectContaining({ port: 8080 })]);
      expect(s.metadata.managedFields.map((f: any) => f.manager)).not.toContain('chatfleet-operator');
    });
    // z was reconciled again meanwhile, yet the only write that ever reached z-stable is the first
    // create-only apply, refused: later reconciles read the name they know is taken.
    expect(
      await metricValue(env.operator.registry, 'chatfleet_operator_reconcile_total'),
    ).toBeGreaterThanOrEqual(reconciles + 2);
    const patches = (await auditEvents(env.ns)).filter(
      (e) => e.objectRef?.name === 'z-stable' && e.verb === 'patch',
    );
    expect(patches.map((e) => e.responseStatus?.code)).toEqual([409]);
    await kubectl(['-n', env.ns, 'delete', 'cbd', 'z', '--wait=true']);
    await waitFor('z children collected', async () =>
      (await kubectl(['-n', env.ns, 'get', 'service', 'z', '--ignore-not-found'])).trim() === ''
        ? true
        : undefined,
    );
    const kept = await kubectlJson(['-n', env.ns, 'get', 'service', 'z-stable']);
    expect(kept.spec.selector).toEqual({ app: 'users-own' });
  }, 120_000);

  it('does not take over a pre-existing Deployment of the fleet name that nobody controls (its create-only apply is refused)', async () => {
    const user = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'w', namespace: env.ns },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'users-own' } },
        template: {
          metadata: { labels: { app: 'users-own' } },
          spec: { containers: [{ name: 'own', image: 'users/own:1' }] },
        },
      },
    };
    await kubectl(['apply', '-f', '-'], JSON.stringify(user));
    await applyCr(env.ns, 'w');
    await waitConflict('w', `Deployment ${env.ns}/w (controlled by nobody`);
    // the other children were applied meanwhile; the user's Deployment is as it was
    await waitFor('w-stable applied', async () =>
      (await kubectl(['-n', env.ns, 'get', 'service', 'w-stable', '--ignore-not-found'])).trim() !== ''
        ? true
        : undefined,
    );
    const d = await kubectlJson(['-n', env.ns, 'get', 'deployment', 'w', '--show-managed-fields']);
    expect(d.metadata.ownerReferences).toBeUndefined();
    expect(d.spec.template.spec.containers.map((c: any) => c.image)).toEqual(['users/own:1']);
    expect(d.metadata.managedFields.map((f: any) => f.manager)).not.toContain('chatfleet-operator');
    await kubectl(['-n', env.ns, 'delete', 'cbd', 'w', '--wait=true']);
  }, 120_000);

  function cbd(namespace: string, name: string): Record<string, unknown> {
    return {
      apiVersion: 'chatfleet.io/v1alpha1',
      kind: 'ChatbotDeployment',
      metadata: { name, namespace },
      spec: { runtime: { image: 'registry.local/chatfleet-bot:1.0' }, model: { name: 'm', version: 'v1' } },
    };
  }

  async function waitConflict(name: string, naming: string): Promise<any> {
    return waitFor(
      `${name} Degraded=NameConflict naming ${naming}`,
      async () => {
        const c = condition(await getCr(env.ns, name), 'Degraded');
        return c?.status === 'True' && c.reason === 'NameConflict' && String(c.message).includes(naming)
          ? getCr(env.ns, name)
          : undefined;
      },
      30_000,
    );
  }

  async function sampleUnchanged(
    service: string,
    ms: number,
    check: (s: any) => void | Promise<void>,
  ): Promise<void> {
    const first = await kubectlJson(['-n', env.ns, 'get', 'service', service, '--show-managed-fields']);
    await check(first);
    const until = Date.now() + ms;
    let samples = 0;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 1000));
      const s = await kubectlJson(['-n', env.ns, 'get', 'service', service, '--show-managed-fields']);
      await check(s);
      expect(s.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
      samples++;
    }
    expect(samples).toBeGreaterThanOrEqual(Math.floor(ms / 2000));
  }

  async function warningEvents(regarding: string): Promise<any[]> {
    const list = await kubectlJson(['-n', env.ns, 'get', 'events.events.k8s.io']);
    return list.items.filter(
      (e: any) => e.reason === 'NameConflict' && e.type === 'Warning' && e.regarding?.name === regarding,
    );
  }
});

/** A Service `name` controlled by fleet `owner`, as CR x's Redis Service x-redis is for a CR x-redis. */
function contested(namespace: string, name: string, owner: any): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace,
      labels: {
        'app.kubernetes.io/name': 'redis',
        'app.kubernetes.io/instance': owner.metadata.name,
        'app.kubernetes.io/managed-by': 'chatfleet-operator',
      },
      ownerReferences: [
        {
          apiVersion: 'chatfleet.io/v1alpha1',
          kind: 'ChatbotDeployment',
          name: owner.metadata.name,
          uid: owner.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: { selector: { app: 'contested-by-a' }, ports: [{ port: 6379 }] },
  };
}
