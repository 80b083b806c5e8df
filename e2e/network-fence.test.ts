/**
 * The test environment's network fence and egress guard (testenv/network.sh): kwok pod IPs and
 * ClusterIPs are fake addresses where nothing of ours answers, so a connection to them must be
 * refused on this machine at once and never follow the default route out of it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { egressGuardCount } from '../scripts/egress-guard.js';
import { testenvVar } from './support/env.js';

const namespace = `fence-${randomUUID().slice(0, 8)}`;
const REFUSED_LOCALLY = ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH'];

/** Outcome of one TCP connect: the error code, 'connected', or 'timeout' (a packet went somewhere). */
function tcpConnect(host: string, port: number, timeoutMs = 3_000): Promise<{ outcome: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (outcome: string): void => {
      socket.destroy();
      resolve({ outcome, ms: performance.now() - t0 });
    };
    socket.setTimeout(timeoutMs, () => done('timeout'));
    socket.once('connect', () => done('connected'));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

async function eventually<T>(probe: () => Promise<T | undefined>, what: string, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('network fence: fake addresses are refused on this machine', () => {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(testenvVar('KUBECONFIG'));
  const core = kc.makeApiClient(k8s.CoreV1Api);
  let podIP = '';
  let clusterIP = '';

  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    const labels = { app: 'fence' };
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: 'kwok-pod', labels },
        spec: {
          nodeSelector: { type: 'kwok' },
          containers: [{ name: 'app', image: 'registry.invalid/fence:1', ports: [{ containerPort: 8080 }] }],
        },
      },
    });
    const svc = await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: 'fence' },
        spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
      },
    });
    clusterIP = svc.spec?.clusterIP ?? '';
    podIP = await eventually(async () => {
      const pod = await core.readNamespacedPod({ name: 'kwok-pod', namespace });
      return pod.status?.podIP || undefined;
    }, 'the kwok pod to get an IP');
  });
  afterAll(async () => {
    await core.deleteNamespace({ name: namespace });
  });

  it('the guard is installed (root and iptables)', () => {
    expect(egressGuardCount()).not.toBeUndefined();
  });

  it('refuses a connection to a kwok pod IP at once and the guard counts nothing', async () => {
    expect(podIP).toMatch(/^10\.200\./);
    const before = egressGuardCount();
    const r = await tcpConnect(podIP, 8080);
    expect(REFUSED_LOCALLY).toContain(r.outcome);
    expect(r.ms).toBeLessThan(1_000);
    // the autoscaler's scrape path: an HTTP GET of the pod's /metrics
    await expect(
      fetch(`http://${podIP}:8080/metrics`, { signal: AbortSignal.timeout(3_000) }),
    ).rejects.toThrow(/fetch failed/);
    expect(egressGuardCount()).toBe(before);
  });

  it('refuses a connection to a ClusterIP whose endpoints are kwok pods', async () => {
    expect(clusterIP).toMatch(/^10\.96\./);
    const before = egressGuardCount();
    const r = await tcpConnect(clusterIP, 80);
    expect(REFUSED_LOCALLY).toContain(r.outcome);
    expect(r.ms).toBeLessThan(1_000);
    expect(egressGuardCount()).toBe(before);
  });
});
