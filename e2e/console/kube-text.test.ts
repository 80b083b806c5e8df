// kubeGetText (console/server/kube.ts), the console's GET of a body the tenant controls (a pod's
// /metrics through the API server's pod proxy), against the test environment's real API server:
// the answer is read whole when small enough, refused past the byte bound, and an error status is
// reported with its code. The API server's own large documents stand in for an endless body.
import { describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeReadError, kubeGetText } from '../../console/server/kube.js';
import { requireKubeconfig } from '../../operator/integration/support.js';

const kc = new KubeConfig();
kc.loadFromFile(requireKubeconfig());

describe('kubeGetText against the real API server', () => {
  it('reads a body within the bound', async () => {
    const text = await kubeGetText(kc, '/version', { timeoutMs: 10_000, maxBytes: 64 << 10 });
    expect(JSON.parse(text)).toHaveProperty('gitVersion');
  });

  it('refuses a body over the bound, without reading the rest', async () => {
    const err = await kubeGetText(kc, '/openapi/v2', { timeoutMs: 10_000, maxBytes: 4096 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KubeReadError);
    expect((err as Error).message).toMatch(/body over 4096 bytes/);
  });

  it('reports an error status with its code', async () => {
    const err = await kubeGetText(kc, '/api/v1/namespaces/default/pods/no-such-pod:8080/proxy/metrics', {
      timeoutMs: 10_000,
      maxBytes: 64 << 10,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeReadError);
    expect((err as KubeReadError).status).toBe(404);
  });

  it('gives up at the time bound', async () => {
    // a watch never ends by itself: the bound must end it
    const t0 = Date.now();
    const err = await kubeGetText(kc, '/api/v1/namespaces/default/configmaps?watch=true', {
      timeoutMs: 500,
      maxBytes: 1 << 20,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeReadError);
    expect((err as KubeReadError).status).toBe(504);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
