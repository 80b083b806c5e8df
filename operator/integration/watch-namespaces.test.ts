/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access --
   The CRs are raw Kubernetes JSON (kubectl -o json). */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  applyCr,
  createNamespace,
  deleteNamespace,
  getCr,
  installCrd,
  startInProcess,
  waitReady,
} from './support.js';
import type { InProcessOperator } from './support.js';

// --watch-namespace=a,b (the chart's watchNamespaces): one operator reconciles fleets in both
// namespaces, from one informer per namespace, and never touches a fleet in a third namespace.
describe('watching several namespaces', () => {
  let a: string;
  let b: string;
  let other: string;
  let operator: InProcessOperator;

  beforeAll(async () => {
    await installCrd();
    [a, b, other] = await Promise.all([
      createNamespace('h7chart-wa'),
      createNamespace('h7chart-wb'),
      createNamespace('h7chart-wx'),
    ]);
    operator = await startInProcess(a, { 'watch-namespace': `${a},${b}` });
  });

  afterAll(async () => {
    await operator?.stop();
    await Promise.all([a, b, other].filter(Boolean).map((ns) => deleteNamespace(ns)));
  });

  it('reconciles fleets in every watched namespace to Ready, and none elsewhere', async () => {
    await Promise.all([applyCr(a, 'bot'), applyCr(b, 'bot'), applyCr(other, 'bot')]);
    const [inA, inB] = await Promise.all([waitReady(a, 'bot'), waitReady(b, 'bot')]);
    expect(inA.metadata.namespace).toBe(a);
    expect(inB.metadata.namespace).toBe(b);
    // Both watched fleets are Ready; a resync later the unwatched one still has no status at all.
    await new Promise((r) => setTimeout(r, 3000));
    const unwatched = await getCr(other, 'bot');
    expect(unwatched.status).toBeUndefined();
    expect(unwatched.metadata.finalizers ?? []).toEqual([]);
  });
});
