/**
 * KubeClient.applyNew against the REAL API server, for every kind the operator creates as a fleet's
 * child: it creates an absent object as a plain server-side apply would (one Apply entry of our field
 * manager, nothing else), and it is refused with 409 when the name is taken, by us or by anyone, leaving
 * the object as it was. The child applier relies on both (children.ts create: one round trip per new
 * child, and never a write into a user's object of the same name).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createNamespace, deleteNamespace } from './support.js';
import { KubeClient } from '../kube/client.js';
import { isConflict } from '../kube/errors.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { Resources } from '../kube/resources.js';
import type { ResourceKind } from '../kube/resources.js';
import type { KubeObject } from '../workload/types.js';

const MANAGER = 'create-only-test';

interface ManagedFieldsEntry {
  manager: string;
  operation: string;
  subresource?: string;
}

/** `manager operation[ subresource]` of each managedFields entry. */
function managers(obj: KubeObject): string[] {
  const entries = (obj.metadata as { managedFields?: ManagedFieldsEntry[] }).managedFields ?? [];
  return entries.map((f) => [f.manager, f.operation, f.subresource].filter(Boolean).join(' '));
}
const selector = { matchLabels: { app: 'x' } };
const template = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } };

/** The body of each kind (apart from metadata), with `value` in a field a second writer would change. */
const KINDS: [ResourceKind, (value: string) => Record<string, unknown>][] = [
  [Resources.ConfigMap, (v) => ({ data: { k: v } })],
  [Resources.Secret, (v) => ({ stringData: { k: v } })],
  [Resources.ServiceAccount, (v) => ({ automountServiceAccountToken: v === 'user' })],
  [Resources.Service, (v) => ({ spec: { ports: [{ port: 80 }], selector: { app: v } } })],
  [Resources.PodDisruptionBudget, (v) => ({ spec: { maxUnavailable: v === 'user' ? 2 : 1, selector } })],
  [Resources.Deployment, (v) => ({ spec: { replicas: v === 'user' ? 2 : 0, selector, template } })],
  [
    Resources.StatefulSet,
    (v) => ({ spec: { replicas: v === 'user' ? 2 : 0, serviceName: 'x', selector, template } }),
  ],
];

describe('create-only server-side apply (KubeClient.applyNew)', () => {
  let ns = '';
  let client: KubeClient | undefined;

  beforeAll(async () => {
    ns = await createNamespace('create-only');
    client = await KubeClient.create(loadKubeConfig(process.env).kc);
  });

  afterAll(async () => {
    client?.close();
    if (ns) await deleteNamespace(ns);
  });

  const object = (r: ResourceKind, name: string, body: Record<string, unknown>): KubeObject => ({
    apiVersion: r.group ? `${r.group}/${r.version}` : r.version,
    kind: r.kind,
    metadata: { name, namespace: ns, labels: { owner: 'test' } },
    ...body,
  });

  it.each(KINDS.map(([r, body]) => [r.kind, r, body] as const))(
    '%s: creates an absent object as an apply of our field manager, and is refused (409) once it exists',
    async (_kind, r, body) => {
      const name = `ours-${r.plural}`;
      const created = await client!.applyNew(object(r, name, body('ours')), MANAGER, r);
      expect(created.metadata.uid).toBeTruthy();
      expect(managers(created)).toEqual([`${MANAGER} Apply`]);
      // A plain apply afterwards shares the create's entry: it owns the fields as any later apply does.
      const again = await client!.apply(object(r, name, body('ours')), MANAGER, { resource: r });
      expect(managers(again).filter((m) => !m.endsWith('status'))).toEqual([`${MANAGER} Apply`]);
      expect(again.metadata.generation).toBe(created.metadata.generation);
      const refused = await client!
        .applyNew(object(r, name, body('ours')), MANAGER, r)
        .catch((e: unknown) => e);
      expect(isConflict(refused)).toBe(true);
    },
  );

  it.each(KINDS.map(([r, body]) => [r.kind, r, body] as const))(
    "%s: leaves another writer's object of that name exactly as it was",
    async (_kind, r, body) => {
      const name = `users-${r.plural}`;
      const users = await client!.apply(object(r, name, body('user')), 'a-user', { resource: r });
      const refused = await client!
        .applyNew(object(r, name, body('ours')), MANAGER, r)
        .catch((e: unknown) => e);
      expect(isConflict(refused)).toBe(true);
      const after = (await client!.get<KubeObject>(r, ns, name))!;
      // Controllers may have written its status since: compare everything else.
      const { metadata: _m, status: _s, ...mine } = users;
      for (const [field, value] of Object.entries(mine)) expect(after[field]).toEqual(value);
      expect(managers(after).filter((m) => !m.endsWith('status'))).toEqual(['a-user Apply']);
    },
  );
});
